// Layers in torch.nn's vocabulary, plus Maxout (PacGAN's discriminator) and the two-stream
// BatchNorm of Mode-regularized GANs (appendix: real and generated batches keep separate statistics).
import { F, type Tensor, empty, ones, zeros } from '../torch/index.js';
import { pytorchDefault_ } from './init.js';
import { Module } from './module.js';

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    this.bias = bias ? this.registerParameter('bias', empty([outFeatures])) : null;
    pytorchDefault_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
}
type Pair = number | [number, number];
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  constructor(inChannels: number, outChannels: number, kernelSize: number, o: Conv2dOptions = {}) {
    super();
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.weight = this.registerParameter('weight', empty([outChannels, inChannels, kernelSize, kernelSize]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', empty([outChannels])) : null;
    pytorchDefault_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }
}

export class ConvTranspose2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  /** Extra rows and columns on the output (one value, or [height, width]): picks the output size. */
  readonly outputPadding: Pair;
  constructor(inChannels: number, outChannels: number, kernelSize: number, o: Conv2dOptions & { outputPadding?: Pair } = {}) {
    super();
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.outputPadding = o.outputPadding ?? 0;
    // PyTorch stores transposed-conv weights as (in, out, k, k).
    this.weight = this.registerParameter('weight', empty([inChannels, outChannels, kernelSize, kernelSize]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', empty([outChannels])) : null;
    pytorchDefault_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding });
  }
}

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  /**
   * Number of input streams with their own running statistics, sharing weight and bias
   * (Mode-regularized GANs, appendix). Choose the stream with `useStream(module, k)`.
   */
  streams?: number;
}
class BatchNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly runningMeans: Tensor[] = [];
  readonly runningVars: Tensor[] = [];
  stream = 0;
  readonly eps: number;
  readonly momentum: number;
  constructor(
    readonly numFeatures: number,
    private readonly expectedDims: number[],
    o: BatchNormOptions,
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    const affine = o.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    const streams = o.streams ?? 1;
    for (let k = 0; k < streams; k++) {
      const suffix = streams === 1 ? '' : `_${k}`;
      this.runningMeans.push(this.registerBuffer(`running_mean${suffix}`, zeros([numFeatures])));
      this.runningVars.push(this.registerBuffer(`running_var${suffix}`, ones([numFeatures])));
    }
  }
  forward(x: Tensor): Tensor {
    if (!this.expectedDims.includes(x.ndim)) {
      throw new Error(`${this.constructor.name} expects a ${this.expectedDims.join('-D or ')}-D input, got shape [${x.shape}]`);
    }
    if (this.stream >= this.runningMeans.length) {
      throw new Error(`${this.constructor.name}: stream ${this.stream} selected but only ${this.runningMeans.length} configured`);
    }
    return F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMeans[this.stream],
      runningVar: this.runningVars[this.stream],
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
  override to(device: Parameters<Module['to']>[0]): this {
    super.to(device);
    const buffers = new Map(this.namedBuffers());
    const streams = this.runningMeans.length;
    for (let k = 0; k < streams; k++) {
      const suffix = streams === 1 ? '' : `_${k}`;
      this.runningMeans[k] = buffers.get(`running_mean${suffix}`)!;
      this.runningVars[k] = buffers.get(`running_var${suffix}`)!;
    }
    return this;
  }
}
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], o);
  }
}
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, [4], o);
  }
}
/** Selects which running statistics every multi-stream BatchNorm inside `module` uses. */
export function useStream(module: Module, stream: number): void {
  for (const m of module.modules()) if (m instanceof BatchNorm) m.stream = stream;
}

/** Goodfellow et al.'s maxout: the max over `pieces` affine maps (PacGAN's discriminator uses 5). */
export class Maxout extends Module {
  readonly linear: Linear;
  constructor(
    inFeatures: number,
    readonly outFeatures: number,
    readonly pieces: number,
  ) {
    super();
    this.linear = this.registerModule('linear', new Linear(inFeatures, outFeatures * pieces));
  }
  forward(x: Tensor): Tensor {
    return this.linear.forward(x).view(-1, this.outFeatures, this.pieces).max(2).values;
  }
}

/** A stateless function as a module (activations, reshapes). */
export class Lambda extends Module {
  constructor(
    readonly name: string,
    private readonly fn: (x: Tensor) => Tensor,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}
/** `inplace` overwrites its input (PyTorch's `nn.ReLU(inplace=True)`): use it after a layer that owns its output. */
export const ReLU = (o: { inplace?: boolean } = {}) =>
  o.inplace ? new Lambda('ReLU(inplace)', (x) => x.relu_()) : new Lambda('ReLU', (x) => x.relu());
export const LeakyReLU = (slope = 0.01) => new Lambda(`LeakyReLU(${slope})`, (x) => x.leakyRelu(slope));
export const ELU = (alpha = 1) => new Lambda('ELU', (x) => x.elu(alpha));
export const Tanh = () => new Lambda('Tanh', (x) => x.tanh());
export const Sigmoid = () => new Lambda('Sigmoid', (x) => x.sigmoid());
export const Flatten = () => new Lambda('Flatten', (x) => x.flatten(1));
export const Unflatten = (...shape: number[]) => new Lambda(`Unflatten(${shape})`, (x) => x.view(-1, ...shape));

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((l, i) => this.registerModule(String(i), l));
  }
  forward(x: Tensor): Tensor {
    for (const l of this.layers) x = l.forward(x);
    return x;
  }
  /** Every layer but the last `drop`: a discriminator's features, shared with another head. */
  forwardBody(x: Tensor, drop = 1): Tensor {
    for (const l of this.layers.slice(0, this.layers.length - drop)) x = l.forward(x);
    return x;
  }
}

export type Activation = 'relu' | 'leakyRelu' | 'tanh' | 'elu' | 'sigmoid';
// Each activation in an MLP follows a Linear (or BatchNorm1d) whose output nothing else holds, so
// ReLU runs in place there.
const activations: Record<Activation, () => Module> = {
  relu: () => ReLU({ inplace: true }),
  leakyRelu: () => LeakyReLU(0.2),
  tanh: Tanh,
  elu: ELU,
  sigmoid: Sigmoid,
};
export interface MLPOptions {
  activation?: Activation;
  batchNorm?: boolean;
  /** Applied after the last layer (e.g. tanh for images); none by default. */
  outputActivation?: Activation;
}
/** in → hidden[0] → … → out with an activation between layers: the toy-benchmark networks. */
export function mlp(inFeatures: number, hidden: readonly number[], outFeatures: number, o: MLPOptions = {}): Sequential {
  const layers: Module[] = [];
  let width = inFeatures;
  for (const h of hidden) {
    layers.push(new Linear(width, h));
    if (o.batchNorm) layers.push(new BatchNorm1d(h));
    layers.push(activations[o.activation ?? 'relu']());
    width = h;
  }
  layers.push(new Linear(width, outFeatures));
  if (o.outputActivation) layers.push(activations[o.outputActivation]());
  return new Sequential(...layers);
}
