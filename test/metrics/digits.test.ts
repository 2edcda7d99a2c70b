// Stacked-MNIST mode counting: the report against hand-computed histograms, and the committed
// counting classifier on real data (the ceiling every image table's real-data row shows).
import { describe, expect, it } from 'vitest';
import { StackedMnist, imageSampler, loadDataset } from '../../src/data/index.js';
import { accuracy, loadEvaluator } from '../../src/evaluator/mnist-cnn.js';
import { loadMnist } from '../../src/data/mnist.js';
import { digitsOf, meanPairwiseDistance, modeReport, readDigits } from '../../src/metrics/digits.js';
import { productModes, uniformModes } from '../../src/data/modes.js';
import { evaluateSamples } from '../../src/metrics/evaluate.js';
import { keep, manualSeed, randn, scope, tensor } from '../../src/torch/index.js';

describe('mode report by hand', () => {
  it('one id over and over: 1 mode, KL = log 1000, 999 missing', () => {
    const r = modeReport(new Array(50).fill(123), new Array(50).fill(1), uniformModes(3));
    expect(r.modes).toBe(1);
    expect(r.kl).toBeCloseTo(Math.log(1000), 12);
    expect(r.missing).toHaveLength(999);
    expect(r.missing).not.toContain(123);
  });
  it('every id once: 1000 modes, KL 0; confident and ≥ 2-sample counts', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    const conf = ids.map((i) => (i < 10 ? 0.5 : 0.999));
    const r = modeReport([...ids, 7], [...conf, 0.995], uniformModes(3));
    expect(r.modes).toBe(1000);
    expect(r.modes_confident).toBe(991); // ids 0–9 are unsure, but 7 has a confident second sample
    expect(r.modes_2plus).toBe(1);
    const p = modeReport(ids, conf, uniformModes(3));
    expect(p.kl).toBeCloseTo(0, 12);
  });
  it('KL against unequal digit weights: half the mass on one number', () => {
    const w = Array.from({ length: 10 }, (_, d) => (d + 1) / 55);
    const q = productModes(w);
    expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const r = modeReport([999, 999, 0, 0], [1, 1, 1, 1], q);
    expect(r.kl).toBeCloseTo(0.5 * Math.log(0.5 / q[999]) + 0.5 * Math.log(0.5 / q[0]), 10);
    // Two labels, half each: one bit.
    expect(r.label_entropy).toBeCloseTo(Math.log(2), 14);
  });
  it('the mean pairwise distance, by hand: the corners of a 3-4-5 right triangle', () => {
    // Pairs (ordered, distinct): 3, 4, 5 each twice → 24 / 6.
    expect(meanPairwiseDistance(tensor([[0, 0], [3, 0], [0, 4]]))).toBeCloseTo(4, 12);
    expect(meanPairwiseDistance(tensor([[1, 1], [1, 1], [1, 1]]))).toBe(0);
    expect(() => meanPairwiseDistance(tensor([[1, 1]]))).toThrow(/at least 2 samples/);
  });
  it('compositional images split into three digits in reading order', () => {
    const x = randn([2, 1, 28, 84]);
    const { digits } = digitsOf(x, 'side-by-side');
    expect(digits.shape).toEqual([6, 1, 28, 28]);
    expect(digits.select(0, 1).toNumbers()).toEqual(x.select(0, 0).narrow(2, 28, 28).reshape(1, 28, 28).toNumbers());
    expect(() => digitsOf(randn([1, 1, 28, 28]), 'channels')).toThrow(/expected 3 channel/);
  });
});

describe('the committed counting classifier', () => {
  const net = loadEvaluator('mnist');
  it('≥ 99.2 % on the MNIST test set', () => {
    expect(accuracy(net, loadMnist('test'))).toBeGreaterThanOrEqual(0.992);
  });
  it('held-out real Stacked-MNIST triples: ≥ 995 of 1000 modes and KL < 0.05 on 25,600 samples', () => {
    manualSeed(5);
    const real = new StackedMnist({ split: 'test' });
    const r = evaluateSamples(loadDataset({ name: 'stacked-mnist' }), (k) => real.sample(k), 25_600)!;
    expect('kl' in r && r.modes).toBeGreaterThanOrEqual(995);
    expect('kl' in r && r.kl).toBeLessThan(0.05);
    // Real triples against real triples: the feature spread's unit; the labels near-uniform over 1000.
    expect('kl' in r && r.feature_spread).toBeGreaterThan(0.97);
    expect('kl' in r && r.feature_spread).toBeLessThan(1.03);
    expect('kl' in r && r.label_entropy).toBeGreaterThan(Math.log(1000) - 0.05);
  });
  it('one fixed triple repeated: 1 mode, KL = log 1000', () => {
    manualSeed(6);
    const one = keep(scope(() => new StackedMnist({ split: 'test' }).sample(1)));
    const r = evaluateSamples(loadDataset({ name: 'stacked-mnist' }), (k) => one.expand(k, 3, 28, 28), 512)!;
    expect(r.modes).toBe(1);
    expect('kl' in r && r.kl).toBeCloseTo(Math.log(1000), 10);
    expect('kl' in r && r.label_entropy).toBe(0);
    expect('kl' in r && r.feature_spread).toBeLessThan(1e-6);
  });
  it('reads the ids the sampler drew (at least 97 % of triples, as ~99.2 % per digit allows)', () => {
    manualSeed(7);
    const { x, labels } = new StackedMnist({ split: 'test' }).withLabels(2000);
    const { ids } = readDigits(net, x, 'channels');
    const truth = labels.toNumbers();
    expect(ids.filter((id, i) => id === truth[i]).length / 2000).toBeGreaterThan(0.97);
  });
  it('Color MNIST (32×32) is center-cropped for the classifier', () => {
    manualSeed(8);
    const { x, labels } = imageSampler('color-mnist', { split: 'test' }).withLabels(500);
    const { ids } = readDigits(net, x, 'channels');
    const truth = labels.toNumbers();
    expect(ids.filter((id, i) => id === truth[i]).length / 500).toBeGreaterThan(0.95);
  });
});
