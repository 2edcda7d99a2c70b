// Tensor factories with PyTorch's names: zeros, ones, full, randn, rand, randint, arange, tensor...
import { N } from './native.js';
import { type AnyTypedArray, type Device, type DType, type Shape, Tensor, wrap } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

let defaultDevice: Device = 'cpu';

/** As `torch.set_default_device`: where factories put tensors when no device is given. */
export function setDefaultDevice(device: Device): void {
  defaultDevice = device;
}
export function getDefaultDevice(): Device {
  return defaultDevice;
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  return opts.requiresGrad ? t.requiresGrad_(true) : t;
}
/** The floating dtype of tensors made without one (torch.get_default_dtype): float32 unless set. */
let defaultFloat: DType = 'float32';
const dt = (o: TensorOptions, d?: DType) => o.dtype ?? d ?? defaultFloat;

/**
 * Runs fn with `dtype` as the default floating dtype (torch.set_default_dtype, scoped): networks
 * built, noise drawn and data made inside are float64, as a float64 reference comparison needs.
 */
export function withDefaultDtype<R>(dtype: 'float32' | 'float64', fn: () => R): R {
  const before = defaultFloat;
  defaultFloat = dtype;
  try {
    return fn();
  } finally {
    defaultFloat = before;
  }
}
const dev = (o: TensorOptions) => o.device ?? defaultDevice;

export const zeros = (shape: Shape, o: TensorOptions = {}) => finish(wrap(N.zeros([...shape], dt(o), dev(o))), o);
export const ones = (shape: Shape, o: TensorOptions = {}) => finish(wrap(N.ones([...shape], dt(o), dev(o))), o);
export const empty = (shape: Shape, o: TensorOptions = {}) => finish(wrap(N.empty([...shape], dt(o), dev(o))), o);
export const full = (shape: Shape, value: number, o: TensorOptions = {}) =>
  finish(wrap(N.full([...shape], value, dt(o), dev(o))), o);
export const eye = (n: number, o: TensorOptions = {}) => finish(wrap(N.eye(n, dt(o), dev(o))), o);
export const randn = (shape: Shape, o: TensorOptions = {}) => finish(wrap(N.randn([...shape], dt(o), dev(o))), o);
export const rand = (shape: Shape, o: TensorOptions = {}) => finish(wrap(N.rand([...shape], dt(o), dev(o))), o);
/** Integers uniform in [low, high), int64 unless told otherwise. */
export const randint = (low: number, high: number, shape: Shape, o: TensorOptions = {}) =>
  wrap(N.randint(low, high, [...shape], dt(o, 'int64'), dev(o)));
export const randperm = (n: number, o: TensorOptions = {}) => wrap(N.randperm(n, dt(o, 'int64'), dev(o)));
export const linspace = (start: number, end: number, steps: number, o: TensorOptions = {}) =>
  wrap(N.linspace(start, end, steps, dt(o), dev(o)));
/** `arange(end)` or `arange(start, end, step)`; float32 unless told otherwise. */
export function arange(start: number, end?: number, step = 1, o: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  return wrap(N.arange(start, end, step, dt(o), dev(o)));
}
/** Samples `n` indices per row of a probability (or weight) matrix. */
export const multinomial = (probs: Tensor, n: number, replacement = false) =>
  wrap(N.multinomial(probs.h, n, replacement));
export const zerosLike = (t: Tensor) => wrap(N.zerosLike(t.h));
export const onesLike = (t: Tensor) => wrap(N.onesLike(t.h));
export const randnLike = (t: Tensor) => wrap(N.randnLike(t.h));
export const randLike = (t: Tensor) => wrap(N.randLike(t.h));

type Nested = number | Nested[];

function shapeOf(data: Nested): number[] {
  const shape: number[] = [];
  let x: Nested = data;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

/**
 * A tensor from nested arrays (ragged input is an error) or from a typed array and a shape, on
 * `device` (default: the default device). float32 unless `dtype` says otherwise; a typed array
 * keeps its own dtype.
 */
export function tensor(data: Nested | AnyTypedArray, o: TensorOptions & { shape?: Shape } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const t = wrap(N.fromTypedArray(data, [...(o.shape ?? [data.length])]));
    const out = o.dtype && o.dtype !== t.dtype ? t.to(o.dtype) : t;
    return finish(dev(o) !== 'cpu' ? out.to(dev(o)) : out, o);
  }
  const shape = shapeOf(data);
  const flat: unknown[] = Array.isArray(data) ? (data as unknown[]).flat(Infinity as 1) : [data];
  const expected = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== expected || flat.some((v) => typeof v !== 'number')) {
    throw new Error(`tensor(): ragged or non-numeric nested array (shape guessed [${shape}] from first elements)`);
  }
  const dtype = dt(o);
  let arr: AnyTypedArray;
  const nums = flat as number[];
  if (dtype === "float64") arr = Float64Array.from(nums);
  else if (dtype === 'int64') arr = BigInt64Array.from(nums, (v) => BigInt(Math.trunc(v)));
  else if (dtype === 'int32') arr = Int32Array.from(nums);
  else if (dtype === 'uint8' || dtype === 'bool') arr = Uint8Array.from(nums);
  else arr = Float32Array.from(nums);
  let t = wrap(N.fromTypedArray(arr, shape));
  if (dtype === 'bool') t = t.to('bool');
  return finish(dev(o) !== 'cpu' ? t.to(dev(o)) : t, o);
}

export const cat = (tensors: readonly Tensor[], dim = 0) => wrap(N.cat(tensors.map((t) => t.h), dim));
export const stack = (tensors: readonly Tensor[], dim = 0) => wrap(N.stack(tensors.map((t) => t.h), dim));
export const where = (cond: Tensor, a: Tensor, b: Tensor) => wrap(N.where(cond.h, a.h, b.h));
export const cdist = (a: Tensor, b: Tensor, p = 2) => wrap(N.cdist(a.h, b.h, p));

/** torch.linalg.eigh of a symmetric matrix (its lower triangle): ascending eigenvalues, eigenvectors as columns. */
export function eigh(a: Tensor): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const [values, vectors] = N.eigh(a.h);
  return { eigenvalues: wrap(values), eigenvectors: wrap(vectors) };
}
/** torch.linalg.eigvalsh: the ascending eigenvalues of a symmetric matrix (its lower triangle). */
export const eigvalsh = (a: Tensor) => wrap(N.eigvalsh(a.h));
