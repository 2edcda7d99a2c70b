// Finite-difference gradient checking in float64, as torch.autograd.gradcheck does.
import { grad, noGrad, randn, scope, type Tensor, tensor } from '../src/torch/index.js';

/** Central differences of sum(fn(inputs) · w) for each element of each input. */
export function numericGrad(fn: (xs: Tensor[]) => Tensor, inputs: Tensor[], w: Tensor, eps = 1e-6): number[][] {
  return inputs.map((x) => {
    const base = x.toNumbers();
    const out: number[] = [];
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) =>
        scope(() =>
          noGrad(() => {
            const v = base.slice();
            v[i] += delta;
            const xi = tensor(Float64Array.from(v), { shape: x.shape });
            return fn(inputs.map((y) => (y === x ? xi : y))).mul(w).sum().item();
          }),
        );
      out.push((at(eps) - at(-eps)) / (2 * eps));
    }
    return out;
  });
}

/** Largest |analytic − numeric| / max(1, |numeric|) over all inputs' elements. */
export function gradcheck(fn: (xs: Tensor[]) => Tensor, inputs: Tensor[]): number {
  return scope(() => {
    const leaves = inputs.map((x) => x.detach().requiresGrad_(true));
    const y = fn(leaves);
    const w = noGrad(() => randn(y.shape, { dtype: 'float64' }));
    const analytic = grad(y.mul(w).sum(), leaves, { allowUnused: true }).map((g, i) => (g ? g.toNumbers() : new Array(leaves[i].numel()).fill(0)));
    const numeric = numericGrad(fn, leaves.map((l) => l.detach()), w);
    let worst = 0;
    analytic.forEach((a, k) => a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - numeric[k][i]) / Math.max(1, Math.abs(numeric[k][i]))))));
    return worst;
  });
}

export const f64 = (shape: number[]) => randn(shape, { dtype: 'float64' });
