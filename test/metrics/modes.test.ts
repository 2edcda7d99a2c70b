// Mode metrics against hand-computed cases.
import { describe, expect, it } from 'vitest';
import { ring } from '../../src/data/index.js';
import { gridDensityDivergence, modeMetrics, reverseKl } from '../../src/metrics/modes.js';
import type { ModeTarget } from '../../src/data/modes.js';
import { manualSeed, tensor } from '../../src/torch/index.js';

const square: ModeTarget = {
  means: tensor([[0, 0], [10, 0], [0, 10], [10, 10]]),
  sigmas: [1, 1, 1, 1],
  threshold: 3,
  weights: [0.25, 0.25, 0.25, 0.25],
};

describe('modes captured and high quality', () => {
  it('a sample set covering exactly 2 of 4 modes', () => {
    // 3 HQ at mode 0, 1 HQ at mode 3, one sample 3.5σ from mode 1 (not HQ), one far away.
    const s = tensor([[0.5, 0], [0, -2.9], [1, 1], [10, 9], [13.5, 0], [5, 5]]);
    const r = modeMetrics(s, square);
    expect(r.modes).toBe(2);
    expect(r.modes_max).toBe(4);
    expect(r.high_quality).toBeCloseTo(4 / 6, 12);
    expect(r.n).toBe(6);
    // p = (3/4, 0, 0, 1/4) against uniform: ¾ log 3 + ¼ log 1 = ¾ log 3
    expect(r.reverse_kl).toBeCloseTo(0.75 * Math.log(3), 12);
  });
  it('the boundary is inclusive (≤ 3σ) and σ is per mode', () => {
    const target = { ...square, sigmas: [1, 2, 1, 1] };
    const r = modeMetrics(tensor([[3, 0], [16, 0]]), target); // 3 from mode 0 (σ 1), 6 from mode 1 (σ 2)
    expect(r.modes).toBe(2);
    expect(r.high_quality).toBe(1);
  });
  it('no high-quality samples: zero modes and no KL', () => {
    const r = modeMetrics(tensor([[5, 5], [-20, 3]]), square);
    expect(r).toEqual({ modes: 0, modes_max: 4, high_quality: 0, reverse_kl: null, n: 2 });
  });
  it('true ring samples hit every mode, ~99% high quality, KL near 0', () => {
    manualSeed(3);
    const m = ring();
    const r = modeMetrics(m.sample(20_000), { means: m.means, sigmas: m.sigmas, threshold: 3, weights: m.weights });
    expect(r.modes).toBe(8);
    // P(‖ε‖ ≤ 3σ) for a 2-D Gaussian is 1 − e^(−9/2) = 0.98889
    expect(r.high_quality).toBeCloseTo(1 - Math.exp(-4.5), 2);
    expect(r.reverse_kl!).toBeLessThan(0.002);
  });
  it('rejects samples of the wrong dimension', () => {
    expect(() => modeMetrics(tensor([[1, 2, 3]]), square)).toThrow(/2-dimensional/);
  });
});

describe('divergences', () => {
  it('reverse KL by hand, with unequal weights', () => {
    // p = (0.5, 0.5, 0), w = (0.25, 0.25, 0.5): 0.5 log 2 + 0.5 log 2 = log 2
    expect(reverseKl([5, 5, 0], [0.25, 0.25, 0.5])).toBeCloseTo(Math.log(2), 12);
    expect(reverseKl([0, 0], [0.5, 0.5])).toBeNull();
  });
  it('grid density: identical sets give 0, disjoint sets give JS = log 2', () => {
    const a = [[0, 0], [1, 1], [0.5, 0.2]];
    const same = gridDensityDivergence(a, a, { bins: 10, range: [0, 2, 0, 2] });
    expect(same.kl).toBeCloseTo(0, 12);
    expect(same.js).toBeCloseTo(0, 12);
    const apart = gridDensityDivergence([[1.9, 1.9]], [[0.1, 0.1]], { bins: 10, range: [0, 2, 0, 2] });
    expect(apart.js).toBeCloseTo(Math.log(2), 12);
    expect(apart.kl).toBeGreaterThan(20);
  });
});
