// torch.autograd in camelCase: grad(), noGrad(), enableGrad().
import { N } from './native.js';
import { Tensor, wrap } from './tensor.js';

export interface GradOptions {
  /** Weights for each output (PyTorch's grad_outputs); defaults to ones for scalar outputs. */
  gradOutputs?: Tensor[];
  /** Keep the graph for another backward pass; defaults to createGraph. */
  retainGraph?: boolean;
  /** Record the gradient computation itself, for double backprop (gradient penalties, unrolling). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/** As `torch.autograd.grad`: gradients of the outputs' sum with respect to each input. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const createGraph = opts.createGraph ?? false;
  const hs: unknown[] = N.autogradGrad(
    outs.map((t) => t.h),
    ins.map((t) => t.h),
    opts.gradOutputs ? opts.gradOutputs.map((t) => t.h) : null,
    opts.retainGraph ?? createGraph,
    createGraph,
    opts.allowUnused ?? false,
  );
  return hs.map((h) => (h === null ? null : wrap(h as never)));
}

function withGradMode<R>(enabled: boolean, fn: () => R): R {
  const before: boolean = N.isGradEnabled();
  N.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    N.setGradEnabled(before);
  }
}

/** As `with torch.no_grad():` — nothing inside is recorded for backward. */
export const noGrad = <R>(fn: () => R): R => withGradMode(false, fn);
/** As `with torch.enable_grad():`. */
export const enableGrad = <R>(fn: () => R): R => withGradMode(true, fn);
export const isGradEnabled = (): boolean => N.isGradEnabled();
