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

/**
 * Numbers recorded on another machine: |got − want| ≤ atol + rtol·|want| for every key, as
 * numpy.isclose. Floats differ in the last bits between CPUs (Intel Xeon vs AMD EPYC Zen 4's
 * AVX-512 kernels) and between thread counts; exact equality only holds within one machine.
 */
export function expectClose(got: Record<string, number>, want: Record<string, number>, { rtol, atol }: { rtol: number; atol: number }): void {
  const off = Object.keys(want).filter((k) => !(Math.abs(got[k] - want[k]) <= atol + rtol * Math.abs(want[k])));
  if (off.length) {
    const lines = off.map((k) => `${k}: got ${got[k]}, want ${want[k]} (|Δ| ${Math.abs(got[k] - want[k]).toExponential(2)} > ${(atol + rtol * Math.abs(want[k])).toExponential(2)})`);
    throw new Error(`outside rtol ${rtol}, atol ${atol}:\n  ${lines.join('\n  ')}`);
  }
}

/** Largest |a − b| / (1 + max |a|) over lists of numbers taken pairwise (gradients of two implementations). */
export function maxRelDiff(ref: number[][], ours: number[][]): number {
  return Math.max(...ref.map((r, i) => Math.max(...r.map((v, k) => Math.abs(v - ours[i][k]))) / (1 + Math.max(...r.map(Math.abs)))));
}
