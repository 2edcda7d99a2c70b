// Double backprop: the gradient of a WGAN-GP penalty with respect to the critic's parameters,
// against finite differences of the penalty. This is what tfjs got wrong for tanh networks.
import { describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, Sequential, Tanh, mlp, type Module } from '../../src/nn/index.js';
import { grad, manualSeed, noGrad, randn, scope, type Tensor } from '../../src/torch/index.js';

function penalty(D: Module, x: Tensor, createGraph: boolean): Tensor {
  const xi = x.detach().requiresGrad_(true);
  const [g] = grad(D.forward(xi).sum(), xi, { createGraph });
  return g!.flatten(1).norm(2, 1).sub(1).square().mean();
}

function worstError(D: Module, x: Tensor): { worst: number; checked: number } {
  return scope(() => {
    const params = D.parameters();
    // The output bias does not move ∇ₓD, so its gradient is legitimately absent (zero).
    const analytic = grad(penalty(D, x, true), params, { allowUnused: true }).map((g, k) => (g ? g.toNumbers() : new Array(params[k].numel()).fill(0)));
    let worst = 0;
    let checked = 0;
    const eps = 1e-6;
    params.forEach((p, k) => {
      const n = p.numel();
      const flat = p.view(-1);
      // Every element of small tensors, a spread of elements of large ones.
      for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 12))) {
        const at = (delta: number) =>
          scope(() => {
            const e = flat.select(0, i);
            noGrad(() => e.add_(e.detach().mul(0).add(delta)));
            const v = penalty(D, x, false).item();
            noGrad(() => e.add_(e.detach().mul(0).add(-delta)));
            return v;
          });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        worst = Math.max(worst, Math.abs(analytic[k][i] - numeric) / Math.max(1, Math.abs(numeric)));
        checked++;
      }
    });
    return { worst, checked };
  });
}

describe('gradient of a gradient penalty w.r.t. parameters (float64)', () => {
  it('ReLU MLP', () => {
    manualSeed(2);
    const D = mlp(2, [16, 16], 1, { activation: 'relu' }).to('float64');
    const { worst, checked } = worstError(D, randn([32, 2], { dtype: 'float64' }));
    expect(checked).toBeGreaterThan(30);
    expect(worst).toBeLessThan(1e-5);
  });
  it('tanh MLP, hidden biases included', () => {
    manualSeed(3);
    const D = mlp(2, [16, 16], 1, { activation: 'tanh' }).to('float64');
    const x = randn([32, 2], { dtype: 'float64' });
    const { worst } = worstError(D, x);
    expect(worst).toBeLessThan(1e-5);
    // tfjs returned no gradient for hidden biases: they must be non-zero here.
    const biasGrad = scope(() => grad(penalty(D, x, true), D.parameters()[1])[0]!.abs().sum().item());
    expect(biasGrad).toBeGreaterThan(1e-6);
  });
  it('small conv net (tanh)', () => {
    manualSeed(4);
    const D = new Sequential(new Conv2d(1, 3, 3, { stride: 2, padding: 1 }), Tanh(), Flatten(), new Linear(3 * 3 * 3, 1)).to('float64');
    const { worst } = worstError(D, randn([4, 1, 6, 6], { dtype: 'float64' }));
    expect(worst).toBeLessThan(1e-5);
  });
});
