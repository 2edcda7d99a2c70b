// Optimizer steps against hand-computed values and against the papers' update rules.
import { describe, expect, it } from 'vitest';
import { Adam, RMSprop, SGD, clipWeights, type Optimizer } from '../../src/nn/index.js';
import { noGrad, scope, tensor, type Tensor } from '../../src/torch/index.js';

/** Runs `steps` updates on loss = ½‖p‖² (so grad = p) and returns the trajectory. */
function run(make: (p: Tensor) => Optimizer, p0: number[], steps: number): number[][] {
  const p = tensor(p0, { dtype: 'float64', requiresGrad: true });
  const opt = make(p);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    scope(() => {
      opt.zeroGrad();
      p.square().sum().mul(0.5).backward();
      opt.step();
    });
    out.push(p.toNumbers());
  }
  return out;
}

/** Adam as written in Kingma & Ba (2015), Algorithm 1, with PyTorch's placement of ε. */
function adamByHand(p0: number[], steps: number, lr: number, b1: number, b2: number, eps: number, wd = 0): number[][] {
  const p = p0.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < p.length; i++) {
      const g = p[i] + wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mhat = m[i] / (1 - b1 ** t);
      p[i] -= (lr * mhat) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
    out.push(p.slice());
  }
  return out;
}

describe('Adam', () => {
  it('first step moves each coordinate by lr against the gradient sign', () => {
    // m̂ = g and v̂ = g² after one step, so the update is lr·g/(|g|+ε).
    const [p1] = run((p) => new Adam([p], { lr: 0.1 }), [1, -2, 0.5], 1);
    expect(p1[0]).toBeCloseTo(0.9, 7);
    expect(p1[1]).toBeCloseTo(-1.9, 7);
    expect(p1[2]).toBeCloseTo(0.4, 7);
  });
  it('follows Algorithm 1 over several steps, with weight decay', () => {
    const got = run((p) => new Adam([p], { lr: 0.05, betas: [0.5, 0.9], eps: 1e-6, weightDecay: 0.1 }), [1, -2, 3], 6);
    const want = adamByHand([1, -2, 3], 6, 0.05, 0.5, 0.9, 1e-6, 0.1);
    got.forEach((row, t) => row.forEach((v, i) => expect(v).toBeCloseTo(want[t][i], 10)));
  });
});

describe('Adam on float32 parameters (the one-pass kernel) and on strided ones (the tensor-op path)', () => {
  const p0 = Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) * 2);
  const want = adamByHand(p0, 5, 0.01, 0.5, 0.999, 1e-8, 0.01);
  const trajectory = (p: Tensor, read: () => number[]) => {
    const opt = new Adam([p], { lr: 0.01, betas: [0.5, 0.999], weightDecay: 0.01 });
    return Array.from({ length: 5 }, () => {
      scope(() => {
        opt.zeroGrad();
        p.square().sum().mul(0.5).backward();
        opt.step();
      });
      return read();
    });
  };
  it('contiguous float32 follows Algorithm 1 to float32 precision', () => {
    const p = tensor(p0).view(3, 4).requiresGrad_(true);
    trajectory(p, () => p.toNumbers()).forEach((row, t) => row.forEach((v, i) => expect(v).toBeCloseTo(want[t][i], 5)));
  });
  it('a transposed (non-contiguous) float64 leaf gives the same trajectory', () => {
    const p = tensor(p0, { dtype: 'float64' }).view(4, 3).T.detach().requiresGrad_(true);
    expect(p.isContiguous()).toBe(false);
    const got = trajectory(p, () => p.T.contiguous().view(-1).toNumbers());
    got.forEach((row, t) => row.forEach((v, i) => expect(v).toBeCloseTo(want[t][i], 10)));
  });
});

describe('RMSprop', () => {
  it('first step: square_avg = (1−α)g², update lr·g/√square_avg', () => {
    // g = 2, α = 0.99: square_avg = 0.04, √ = 0.2, step = 0.01·2/0.2 = 0.1
    const [p1] = run((p) => new RMSprop([p], { lr: 0.01, alpha: 0.99, eps: 0 }), [2], 1);
    expect(p1[0]).toBeCloseTo(1.9, 10);
  });
  it('with momentum, the second step adds the buffered first step', () => {
    const traj = run((p) => new RMSprop([p], { lr: 0.01, alpha: 0.5, eps: 0, momentum: 0.9 }), [2], 2);
    // step 1: sq = 2, buf = 2/√2 = √2, p = 2 − 0.01√2
    const p1 = 2 - 0.01 * Math.SQRT2;
    expect(traj[0][0]).toBeCloseTo(p1, 10);
    // step 2: sq = 0.5·2 + 0.5·p1², buf = 0.9√2 + p1/√sq
    const sq = 0.5 * 2 + 0.5 * p1 * p1;
    expect(traj[1][0]).toBeCloseTo(p1 - 0.01 * (0.9 * Math.SQRT2 + p1 / Math.sqrt(sq)), 10);
  });
});

describe('SGD', () => {
  it('plain and with momentum', () => {
    expect(run((p) => new SGD([p], { lr: 0.1 }), [1], 2).map((r) => r[0])).toEqual([0.9, expect.closeTo(0.81, 12)]);
    // buf₁ = g₁ = 1 → p = 0.9; buf₂ = 0.9·1 + 0.9 = 1.8 → p = 0.72
    const m = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), [1], 2).map((r) => r[0]);
    expect(m[0]).toBeCloseTo(0.9, 12);
    expect(m[1]).toBeCloseTo(0.72, 12);
  });
  it('Nesterov needs momentum', () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/momentum > 0/);
  });
});

describe('state dicts and clipping', () => {
  it('a restored Adam continues exactly where the saved one was', () => {
    const a = tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const b = tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const oa = new Adam([a], { lr: 0.1 });
    const ob = new Adam([b], { lr: 0.3 });
    const stepOn = (p: Tensor, o: Optimizer) => scope(() => { o.zeroGrad(); p.square().sum().backward(); o.step(); });
    stepOn(a, oa);
    stepOn(a, oa);
    noGrad(() => b.copy_(a));
    ob.loadStateDict(oa.stateDict());
    expect(ob.lr).toBe(0.1);
    stepOn(a, oa);
    stepOn(b, ob);
    expect(b.toNumbers()).toEqual(a.toNumbers());
  });
  it('clipWeights bounds every parameter', () => {
    const p = tensor([0.5, -0.003, -2], { requiresGrad: true });
    clipWeights([p], 0.01);
    expect(p.toNumbers().map((v) => +v.toFixed(6))).toEqual([0.01, -0.003, -0.01]);
  });
});
