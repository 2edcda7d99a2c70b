// torch.nn.functional in camelCase. Shape and dtype errors come from libtorch with its message.
import { N } from './native.js';
import { type Reduction, Tensor, wrap } from './tensor.js';

const pair = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v, v] : [...v]);

export const relu = (x: Tensor) => x.relu();
export const leakyRelu = (x: Tensor, negativeSlope = 0.01) => x.leakyRelu(negativeSlope);
export const elu = (x: Tensor, alpha = 1) => x.elu(alpha);
export const tanh = (x: Tensor) => x.tanh();
export const sigmoid = (x: Tensor) => x.sigmoid();
export const softplus = (x: Tensor, beta = 1, threshold = 20) => x.softplus(beta, threshold);
export const logSigmoid = (x: Tensor) => x.logSigmoid();
export const softmax = (x: Tensor, dim: number) => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number) => x.logSoftmax(dim);

/** y = x Wᵀ + b */
export const linear = (x: Tensor, weight: Tensor, bias?: Tensor | null) => wrap(N.linear(x.h, weight.h, bias?.h ?? null));

export interface ConvOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions = {}): Tensor {
  return wrap(N.conv2d(x.h, weight.h, bias?.h ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1));
}
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvOptions & { outputPadding?: number | readonly number[] } = {},
): Tensor {
  return wrap(
    N.convTranspose2d(x.h, weight.h, bias?.h ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.outputPadding ?? 0), o.groups ?? 1, pair(o.dilation ?? 1)),
  );
}
export const maxPool2d = (x: Tensor, kernel: number | number[], stride?: number | number[], padding: number | number[] = 0) =>
  wrap(N.maxPool2d(x.h, pair(kernel), pair(stride ?? kernel), pair(padding)));
export const avgPool2d = (x: Tensor, kernel: number | number[], stride?: number | number[], padding: number | number[] = 0) =>
  wrap(N.avgPool2d(x.h, pair(kernel), pair(stride ?? kernel), pair(padding)));

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch normalisation over dim 1; in training, updates the running statistics in place. */
export function batchNorm(x: Tensor, o: BatchNormOptions = {}): Tensor {
  return wrap(
    N.batchNorm(x.h, o.weight?.h ?? null, o.bias?.h ?? null, o.runningMean?.h ?? null, o.runningVar?.h ?? null, o.training ?? true, o.momentum ?? 0.1, o.eps ?? 1e-5),
  );
}
export const dropout = (x: Tensor, p = 0.5, training = true) => wrap(N.dropout(x.h, p, training));

/** Binary cross-entropy on logits (numerically stable), as F.binary_cross_entropy_with_logits. */
export const bceWithLogits = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean', weight?: Tensor) =>
  wrap(N.bceWithLogits(logits.h, target.h, weight?.h ?? null, reduction));
export const binaryCrossEntropy = (probs: Tensor, target: Tensor, reduction: Reduction = 'mean') =>
  wrap(N.bce(probs.h, target.h, null, reduction));
export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean') => wrap(N.mseLoss(input.h, target.h, reduction));
export const l1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean') => wrap(N.l1Loss(input.h, target.h, reduction));
/** Cross-entropy from logits and int64 class indices. */
export const crossEntropy = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean') =>
  wrap(N.crossEntropy(logits.h, target.h, reduction));
export const nllLoss = (logProbs: Tensor, target: Tensor, reduction: Reduction = 'mean') => wrap(N.nllLoss(logProbs.h, target.h, reduction));
