// The typed Tensor: PyTorch's tensor methods in camelCase over the libtorch binding, plus
// deterministic memory. Every tensor made inside `scope(fn)` is freed when fn returns, except
// what fn returns (which moves to the enclosing scope) and what was `keep()`-ed.
import { N, type Handle } from './native.js';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type Shape = readonly number[];
export type Reduction = 'mean' | 'sum' | 'none';
export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

interface Scope {
  tensors: Tensor[];
}
const scopes: Scope[] = [];

// A tensor that no scope will free (made outside any scope, kept, or returned to the top level)
// is freed when its wrapper is garbage collected, if nobody disposed it first. Scoped tensors
// skip the registry: registering costs about a microsecond per op.
const collected = new FinalizationRegistry<Handle>((h) => N.dispose(h));
function unscoped(t: Tensor): void {
  t._scope = null;
  if (!t._registered && t._h !== null) {
    collected.register(t, t._h, t);
    t._registered = true;
  }
}

/** Wraps a handle from the binding, registering it with the innermost scope. */
export function wrap(h: Handle): Tensor {
  return new Tensor(h);
}
function wrapAll(hs: Handle[]): Tensor[] {
  return hs.map((h) => new Tensor(h));
}
const dims = (d: number | readonly number[]): number[] => (typeof d === 'number' ? [d] : [...d]);

export class Tensor {
  /** @internal the binding's handle; null once disposed. */
  _h: Handle | null;
  /** @internal the scope that frees this tensor, or null when kept. */
  _scope: Scope | null = null;
  /** @internal whether the finalization registry will free it. */
  _registered = false;

  constructor(h: Handle) {
    this._h = h;
    if (scopes.length) {
      this._scope = scopes[scopes.length - 1];
      this._scope.tensors.push(this);
    } else unscoped(this);
  }

  /** @internal */
  get h(): Handle {
    if (this._h === null) {
      throw new Error('a tensor was used after it was disposed: return it from its scope or keep() it');
    }
    return this._h;
  }

  // ---- metadata -------------------------------------------------------------------------
  get shape(): number[] {
    return N.shape(this.h);
  }
  get dtype(): DType {
    return N.dtype(this.h) as DType;
  }
  get device(): string {
    return N.device(this.h);
  }
  get ndim(): number {
    return N.dim(this.h);
  }
  numel(): number {
    return N.numel(this.h);
  }
  size(dim?: number): number {
    const s = this.shape;
    return dim === undefined ? s.reduce((a, b) => a * b, 1) : s[dim < 0 ? s.length + dim : dim];
  }
  get isDisposed(): boolean {
    return this._h === null;
  }

  // ---- autograd -------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return N.requiresGrad(this.h);
  }
  requiresGrad_(flag = true): this {
    N.setRequiresGrad(this.h, flag);
    return this;
  }
  get isLeaf(): boolean {
    return N.isLeaf(this.h);
  }
  /** The accumulated gradient of a leaf (a new handle on the same storage), or null. */
  get grad(): Tensor | null {
    const g = N.grad(this.h);
    return g === null ? null : wrap(g);
  }
  set grad(g: Tensor | null) {
    N.setGrad(this.h, g === null ? null : g.h);
  }
  /**
   * Accumulates gradients into the leaves' `.grad`. With `inputs`, only into those (as PyTorch's
   * `loss.backward(inputs=...)`), which also skips computing the other leaves' gradients.
   */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {}): void {
    const createGraph = opts.createGraph ?? false;
    const retain = opts.retainGraph ?? createGraph;
    if (opts.inputs) N.backwardInputs(this.h, gradient?.h ?? null, retain, createGraph, opts.inputs.map((t) => t.h));
    else N.backward(this.h, gradient?.h ?? null, retain, createGraph);
  }
  detach(): Tensor {
    return wrap(N.detach(this.h));
  }

  // ---- reading values ---------------------------------------------------------------------
  item(): number {
    return N.item(this.h);
  }
  /** A copy of the elements, row-major, as the typed array matching the dtype. */
  toArray(): AnyTypedArray {
    return N.toTypedArray(this.h);
  }
  /** The elements as plain numbers, row-major. */
  toNumbers(): number[] {
    const a = this.toArray();
    return a instanceof BigInt64Array ? Array.from(a, Number) : Array.from(a as ArrayLike<number>);
  }

  // ---- memory -----------------------------------------------------------------------------
  /** Frees the tensor's storage now (the GC would do it later). Idempotent. */
  dispose(): void {
    if (this._h !== null) {
      if (this._registered) collected.unregister(this);
      N.dispose(this._h);
      this._h = null;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- conversion -------------------------------------------------------------------------
  to(target: DType | Device): Tensor {
    return isDType(target) ? wrap(N.toDtype(this.h, target)) : wrap(N.toDevice(this.h, target));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(): Tensor {
    return this.to('cuda');
  }
  clone(): Tensor {
    return wrap(N.clone(this.h));
  }
  contiguous(): Tensor {
    return wrap(N.contiguous(this.h));
  }
  isContiguous(): boolean {
    return N.isContiguous(this.h);
  }

  // ---- shape ------------------------------------------------------------------------------
  reshape(...shape: number[]): Tensor {
    return wrap(N.reshape(this.h, shape));
  }
  view(...shape: number[]): Tensor {
    return wrap(N.view(this.h, shape));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return wrap(N.transpose(this.h, dim0, dim1));
  }
  get T(): Tensor {
    return this.transpose(0, 1);
  }
  permute(...order: number[]): Tensor {
    return wrap(N.permute(this.h, order));
  }
  split(size: number | number[], dim = 0): Tensor[] {
    return wrapAll(typeof size === 'number' ? N.split(this.h, size, dim) : N.splitSizes(this.h, size, dim));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return wrapAll(N.chunk(this.h, chunks, dim));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return wrap(N.narrow(this.h, dim, start, length));
  }
  /** Python's `x[start:end:step]` along `dim`. */
  slice(dim: number, start = 0, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return wrap(N.slice(this.h, dim, start, end, step));
  }
  select(dim: number, index: number): Tensor {
    return wrap(N.select(this.h, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap(N.indexSelect(this.h, dim, index.h));
  }
  gather(dim: number, index: Tensor): Tensor {
    return wrap(N.gather(this.h, dim, index.h));
  }
  maskedSelect(mask: Tensor): Tensor {
    return wrap(N.maskedSelect(this.h, mask.h));
  }
  expand(...shape: number[]): Tensor {
    return wrap(N.expand(this.h, shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(N.flatten(this.h, startDim, endDim));
  }
  /** As F.pad(x, pad, value=v): pad = [left, right, top, bottom, ...] from the last dimension backwards. */
  constantPad(pad: number[], value = 0): Tensor {
    return wrap(N.constantPad(this.h, pad, value));
  }
  repeat(...repeats: number[]): Tensor {
    return wrap(N.repeat(this.h, repeats));
  }
  squeeze(dim: number): Tensor {
    return wrap(N.squeeze(this.h, dim));
  }
  unsqueeze(dim: number): Tensor {
    return wrap(N.unsqueeze(this.h, dim));
  }
  tril(diagonal = 0): Tensor {
    return wrap(N.tril(this.h, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return wrap(N.triu(this.h, diagonal));
  }
  diag(diagonal = 0): Tensor {
    return wrap(N.diag(this.h, diagonal));
  }

  // ---- arithmetic -------------------------------------------------------------------------
  add(other: Tensor | number, alpha = 1): Tensor {
    return wrap(typeof other === 'number' ? N.addScalar(this.h, other * alpha) : N.add(this.h, other.h, alpha));
  }
  sub(other: Tensor | number, alpha = 1): Tensor {
    return wrap(typeof other === 'number' ? N.addScalar(this.h, -other * alpha) : N.sub(this.h, other.h, alpha));
  }
  /** `other - this`, as Python's `other - x` for a number. */
  rsub(other: number): Tensor {
    return wrap(N.rsubScalar(this.h, other));
  }
  mul(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.mulScalar(this.h, other) : N.mul(this.h, other.h));
  }
  div(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.divScalar(this.h, other) : N.div(this.h, other.h));
  }
  pow(exponent: Tensor | number): Tensor {
    return wrap(typeof exponent === 'number' ? N.powScalar(this.h, exponent) : N.pow(this.h, exponent.h));
  }
  maximum(other: Tensor): Tensor {
    return wrap(N.maximum(this.h, other.h));
  }
  minimum(other: Tensor): Tensor {
    return wrap(N.minimum(this.h, other.h));
  }
  atan2(other: Tensor): Tensor {
    return wrap(N.atan2(this.h, other.h));
  }
  neg(): Tensor {
    return wrap(N.neg(this.h));
  }
  exp(): Tensor {
    return wrap(N.exp(this.h));
  }
  log(): Tensor {
    return wrap(N.log(this.h));
  }
  log1p(): Tensor {
    return wrap(N.log1p(this.h));
  }
  sqrt(): Tensor {
    return wrap(N.sqrt(this.h));
  }
  rsqrt(): Tensor {
    return wrap(N.rsqrt(this.h));
  }
  abs(): Tensor {
    return wrap(N.abs(this.h));
  }
  sign(): Tensor {
    return wrap(N.sign(this.h));
  }
  square(): Tensor {
    return wrap(N.square(this.h));
  }
  sin(): Tensor {
    return wrap(N.sin(this.h));
  }
  cos(): Tensor {
    return wrap(N.cos(this.h));
  }
  floor(): Tensor {
    return wrap(N.floor(this.h));
  }
  ceil(): Tensor {
    return wrap(N.ceil(this.h));
  }
  round(): Tensor {
    return wrap(N.round(this.h));
  }
  reciprocal(): Tensor {
    return wrap(N.reciprocal(this.h));
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return wrap(N.clamp(this.h, min, max));
  }
  isfinite(): Tensor {
    return wrap(N.isfinite(this.h));
  }

  // ---- comparison -------------------------------------------------------------------------
  eq(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.eqScalar(this.h, other) : N.eq(this.h, other.h));
  }
  ne(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.neScalar(this.h, other) : N.ne(this.h, other.h));
  }
  lt(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.ltScalar(this.h, other) : N.lt(this.h, other.h));
  }
  le(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.leScalar(this.h, other) : N.le(this.h, other.h));
  }
  gt(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.gtScalar(this.h, other) : N.gt(this.h, other.h));
  }
  ge(other: Tensor | number): Tensor {
    return wrap(typeof other === 'number' ? N.geScalar(this.h, other) : N.ge(this.h, other.h));
  }
  logicalNot(): Tensor {
    return wrap(N.logicalNot(this.h));
  }
  logicalAnd(other: Tensor): Tensor {
    return wrap(N.logicalAnd(this.h, other.h));
  }
  logicalOr(other: Tensor): Tensor {
    return wrap(N.logicalOr(this.h, other.h));
  }

  // ---- activations ------------------------------------------------------------------------
  relu(): Tensor {
    return wrap(N.relu(this.h));
  }
  /**
   * ReLU in place, recorded by autograd (PyTorch's `relu_`, as in `nn.ReLU(inplace=True)`): saves a
   * buffer and a pass over memory. Safe on the output of an op whose backward does not need its
   * own output (linear, conv, batch norm); libtorch raises an error where it is not (a leaf, or a
   * tensor a backward step has saved).
   */
  relu_(): this {
    N.relu_(this.h);
    return this;
  }
  leakyRelu(negativeSlope = 0.01): Tensor {
    return wrap(N.leakyRelu(this.h, negativeSlope));
  }
  elu(alpha = 1): Tensor {
    return wrap(N.elu(this.h, alpha));
  }
  tanh(): Tensor {
    return wrap(N.tanh(this.h));
  }
  sigmoid(): Tensor {
    return wrap(N.sigmoid(this.h));
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return wrap(N.softplus(this.h, beta, threshold));
  }
  logSigmoid(): Tensor {
    return wrap(N.logSigmoid(this.h));
  }
  softmax(dim: number): Tensor {
    return wrap(N.softmax(this.h, dim));
  }
  logSoftmax(dim: number): Tensor {
    return wrap(N.logSoftmax(this.h, dim));
  }

  // ---- reductions -------------------------------------------------------------------------
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return wrap(dim === undefined ? N.sum(this.h) : N.sumDim(this.h, dims(dim), keepdim));
  }
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return wrap(dim === undefined ? N.mean(this.h) : N.meanDim(this.h, dims(dim), keepdim));
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(N.max(this.h));
    const [values, indices] = wrapAll(N.maxDim(this.h, dim, keepdim));
    return { values, indices };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(N.min(this.h));
    const [values, indices] = wrapAll(N.minDim(this.h, dim, keepdim));
    return { values, indices };
  }
  argmax(dim: number, keepdim = false): Tensor {
    return wrap(N.argmax(this.h, dim, keepdim));
  }
  argmin(dim: number, keepdim = false): Tensor {
    return wrap(N.argmin(this.h, dim, keepdim));
  }
  norm(p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
    return wrap(dim === undefined ? N.norm(this.h, p) : N.normDim(this.h, p, dims(dim), keepdim));
  }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    return wrap(N.logsumexp(this.h, dims(dim), keepdim));
  }
  /** Variance; `unbiased` as in PyTorch (Bessel's correction on by default). */
  var(dim: number | readonly number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return wrap(N.var(this.h, dims(dim), opts.unbiased ?? true, opts.keepdim ?? false));
  }
  std(dim: number | readonly number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return wrap(N.std(this.h, dims(dim), opts.unbiased ?? true, opts.keepdim ?? false));
  }
  prod(): Tensor {
    return wrap(N.prod(this.h));
  }
  cumsum(dim: number): Tensor {
    return wrap(N.cumsum(this.h, dim));
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = wrapAll(N.topk(this.h, k, dim, largest));
    return { values, indices };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = wrapAll(N.sort(this.h, dim, descending));
    return { values, indices };
  }
  /** Counts of each value of a 1-D int64 tensor, at least `minlength` long. */
  bincount(minlength = 0): Tensor {
    return wrap(N.bincount(this.h, minlength));
  }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return N.allclose(this.h, other.h, rtol, atol);
  }

  // ---- linear algebra ---------------------------------------------------------------------
  matmul(other: Tensor): Tensor {
    return wrap(N.matmul(this.h, other.h));
  }
  mm(other: Tensor): Tensor {
    return wrap(N.mm(this.h, other.h));
  }
  bmm(other: Tensor): Tensor {
    return wrap(N.bmm(this.h, other.h));
  }

  // ---- in place (never recorded by autograd: for initialisers and optimizers) --------------
  copy_(src: Tensor): this {
    N.copy_(this.h, src.h);
    return this;
  }
  zero_(): this {
    N.zero_(this.h);
    return this;
  }
  fill_(value: number): this {
    N.fill_(this.h, value);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal_(this.h, mean, std);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    N.uniform_(this.h, from, to);
    return this;
  }
  clamp_(min: number | null, max: number | null = null): this {
    N.clamp_(this.h, min, max);
    return this;
  }
  mul_(value: number): this {
    N.mulScalar_(this.h, value);
    return this;
  }
  add_(other: Tensor, alpha = 1): this {
    N.add_(this.h, other.h, alpha);
    return this;
  }

  toString(): string {
    return this._h === null ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`;
  }
}

const DTYPES = new Set<string>(['float32', 'float64', 'int64', 'int32', 'uint8', 'bool']);
export function isDType(s: string): s is DType {
  return DTYPES.has(s);
}

// ---- scopes -------------------------------------------------------------------------------

function collect(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) into.add(value);
  else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) collect(v, into, seen);
  }
}

/**
 * Runs fn and frees every tensor it created, except those reachable from its return value
 * (in arrays or plain objects), which move to the enclosing scope. The PyTorch-world analogue
 * is Python's reference counting; here freeing is explicit and deterministic.
 */
export function scope<R>(fn: () => R): R {
  const s: Scope = { tensors: [] };
  scopes.push(s);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of s.tensors) if (t._scope === s) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new Error('scope(fn): fn returned a Promise; scopes are synchronous, await outside them');
  }
  const kept = new Set<Tensor>();
  collect(result, kept);
  const parent = scopes.length ? scopes[scopes.length - 1] : null;
  for (const t of s.tensors) {
    if (t._scope !== s) continue;
    if (!kept.has(t)) t.dispose();
    else if (parent) {
      t._scope = parent;
      parent.tensors.push(t);
    } else unscoped(t);
  }
  return result;
}

/** Takes tensors out of scope management: they live until disposed (or garbage collected). */
export function keep<T extends Tensor | Tensor[]>(t: T): T {
  for (const x of Array.isArray(t) ? t : [t]) unscoped(x);
  return t;
}

/** Number of libtorch tensors held by JavaScript handles that are not yet freed. */
export function liveTensors(): number {
  return N.liveTensors();
}
