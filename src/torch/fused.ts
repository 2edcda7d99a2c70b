// Fused in-place updates over a list of tensors, one native call each (as torch's fused/foreach
// optimizer kernels): what src/nn/optim.ts builds Adam, RMSprop and SGD on. Formulas follow
// torch/optim/*.py, so the numbers match PyTorch's.
import { N } from './native.js';
import type { Tensor } from './tensor.js';

const handles = (ts: Tensor[]) => ts.map((t) => t.h);

/** The 2-norm over all of the tensors' current gradients (0 for tensors without one). */
export function gradNorm(params: Tensor[]): number {
  return N.gradNorm(handles(params));
}

/** torch.optim.Adam's update of `params` from their gradients; `step` counts from 1. */
export function adamStep_(params: Tensor[], expAvg: Tensor[], expAvgSq: Tensor[], o: { step: number; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }): void {
  N.adamStep(handles(params), handles(expAvg), handles(expAvgSq), o.step, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay);
}

/** torch.optim.RMSprop's update (momentum and centered variants included). */
export function rmspropStep_(
  params: Tensor[],
  squareAvg: Tensor[],
  momentumBuffer: Tensor[],
  gradAvg: Tensor[],
  o: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean },
): void {
  N.rmspropStep(handles(params), handles(squareAvg), handles(momentumBuffer), handles(gradAvg), o.lr, o.alpha, o.eps, o.weightDecay, o.momentum, o.centered);
}

/** torch.optim.SGD's update; `first` is the first step (the momentum buffer starts as the gradient). */
export function sgdStep_(params: Tensor[], momentumBuffer: Tensor[], o: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; first: boolean }): void {
  N.sgdStep(handles(params), handles(momentumBuffer), o.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov, o.first);
}
