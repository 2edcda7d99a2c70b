// Early stopping against rung decisions worked by hand (ASHA as Ray Tune's stopping form, the
// median-stopping rule as Vizier's), and the quantile against numpy.percentile's linear rule.
import { describe, expect, it } from 'vitest';
import { decide, quantile, rungsOf, type Records } from '../../src/sweep/schedulers.js';
import { EarlyStoppingSchema } from '../../src/sweep/spec.js';

const asha = EarlyStoppingSchema.parse({ rule: 'asha', metric: 'score', mode: 'max', grace: 100, eta: 3 });
const median = EarlyStoppingSchema.parse({ rule: 'median', metric: 'score', mode: 'max', grace: 100, minTrials: 2 });
const records = (rows: Record<string, Record<number, number>>): Records => new Map(Object.entries(rows).map(([id, r]) => [id, new Map(Object.entries(r).map(([s, v]) => [Number(s), v]))]));

describe('rungs and quantiles', () => {
  it('ASHA rungs at grace·η^k below the budget; the median rule every `every` steps', () => {
    expect(rungsOf(asha, 5000)).toEqual([100, 300, 900, 2700]);
    expect(rungsOf(asha, 900)).toEqual([100, 300]);
    expect(rungsOf({ ...median, every: 200 }, 800)).toEqual([100, 300, 500, 700]);
  });
  it('linear interpolation between order statistics, as numpy.percentile', () => {
    // numpy.percentile([0.1, 0.5, 0.9], 66.666…) = 0.5 + (2/3·2 − 1)·0.4 = 0.6333…
    expect(quantile([0.9, 0.1, 0.5], 2 / 3)).toBeCloseTo(0.5 + (4 / 3 - 1) * 0.4, 12);
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([7], 0.9)).toBe(7);
  });
});

describe('ASHA, by hand', () => {
  it('the first trial at a rung goes on; later ones need the top 1/η of the others there', () => {
    expect(decide(asha, new Map(), 'a', 100, 0.01).stop).toBe(false);
    // Others at 100: 0.1, 0.5, 0.9 → cut-off 0.6333: 0.6 stops, 0.7 goes on, exactly 0.6333… goes on.
    const r = records({ b: { 100: 0.1 }, c: { 100: 0.5 }, d: { 100: 0.9 } });
    expect(decide(asha, r, 'a', 100, 0.6).stop).toBe(true);
    expect(decide(asha, r, 'a', 100, 0.7).stop).toBe(false);
    expect(decide(asha, r, 'a', 100, quantile([0.1, 0.5, 0.9], 1 - 1 / 3)).stop).toBe(false);
    // Only the values at this rung count: d's later rung does not.
    const later = records({ b: { 100: 0.1 }, d: { 100: 0.9, 300: 0.05 } });
    // Others at 300: d 0.05 only → cut-off 0.05.
    expect(decide(asha, later, 'a', 300, 0.04).stop).toBe(true);
    expect(decide(asha, later, 'a', 300, 0.06).stop).toBe(false);
  });
  it('mode min: smaller is better (reverse KL)', () => {
    const kl = { ...asha, metric: 'reverse_kl', mode: 'min' as const };
    // Others: 0.1, 0.5, 0.9 → the best third is ≤ 0.3667 (negated quantile).
    const r = records({ b: { 100: 0.1 }, c: { 100: 0.5 }, d: { 100: 0.9 } });
    expect(decide(kl, r, 'a', 100, 0.3).stop).toBe(false);
    expect(decide(kl, r, 'a', 100, 0.4).stop).toBe(true);
  });
  it('a value that is not a number stops the trial', () => {
    expect(decide(asha, new Map(), 'a', 100, NaN).stop).toBe(true);
  });
});

describe('the median-stopping rule, by hand', () => {
  it("stops when the best so far is below the median of the others' running averages", () => {
    // At step 300: b's running average (0.2 + 0.4) / 2 = 0.3, c's (0.6 + 0.8) / 2 = 0.7, e's 0.5 → median 0.5.
    const r = records({ a: { 100: 0.45 }, b: { 100: 0.2, 300: 0.4 }, c: { 100: 0.6, 300: 0.8 }, e: { 100: 0.5, 300: 0.5 } });
    expect(decide(median, r, 'a', 300, 0.3).stop).toBe(true); // best 0.45 < 0.5
    expect(decide(median, r, 'a', 300, 0.5).stop).toBe(false); // best 0.5, not strictly worse
    // Its own earlier rung counts toward its best.
    const r2 = records({ ...Object.fromEntries([...r].map(([k, v]) => [k, Object.fromEntries(v)])), a: { 100: 0.55 } });
    expect(decide(median, r2, 'a', 300, 0.1).stop).toBe(false);
  });
  it('no decision before minTrials others reached the rung', () => {
    const r = records({ b: { 100: 0.9, 300: 0.9 }, c: { 100: 0.9 } });
    expect(decide(median, r, 'a', 300, 0).stop).toBe(false);
    expect(decide(median, r, 'a', 100, 0).stop).toBe(true);
  });
});
