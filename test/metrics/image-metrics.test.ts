// The image metrics against hand-computed and closed-form values, then on real MNIST data: the
// sanity figures that say the feature space and the estimators behave.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { imageSampler } from '../../src/data/images.js';
import { loadMnist, toPixels } from '../../src/data/mnist.js';
import { image } from '../../src/data/shape.js';
import { readImageSamples } from '../../src/data/user-images.js';
import { featureSpaceFor } from '../../src/metrics/features.js';
import { fid, frechetDistance, gaussianStats, kid } from '../../src/metrics/fid.js';
import { ivom } from '../../src/metrics/ivom.js';
import { noisyDiscriminator } from '../../src/metrics/noisy-d.js';
import { prdc } from '../../src/metrics/prdc.js';
import { inceptionScore, modeScore } from '../../src/metrics/scores.js';
import { familyFor } from '../../src/nets/index.js';
import { Linear } from '../../src/nn/index.js';
import { cat, full, keep, manualSeed, noGrad, rand, randint, randn, scope, tensor, type Tensor } from '../../src/torch/index.js';

const f64 = (v: number[][]) => tensor(v, { dtype: 'float64' });
const stats = (mu: number[], sigma: number[][]) => ({ mu: tensor(mu, { dtype: 'float64' }), sigma: f64(sigma), n: 2 });

describe('Fréchet distance against closed forms', () => {
  it('diagonal covariances: Σ (μa − μb)² + Σ (√σa − √σb)²', () => {
    const d = frechetDistance(stats([0, 1, 2], [[4, 0, 0], [0, 1, 0], [0, 0, 9]]), stats([1, 1, 0], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]));
    expect(d).toBeCloseTo(1 + 0 + 4 + (2 - 1) ** 2 + 0 + (3 - 1) ** 2, 10);
  });
  it('2×2 covariances that do not commute: tr (Σa Σb)^½ = √(tr Σa Σb + 2 √(det Σa det Σb))', () => {
    const A = [[2, 1], [1, 2]];
    const B = [[1, 0], [0, 3]];
    const trAB = A[0][0] * B[0][0] + A[0][1] * B[1][0] + A[1][0] * B[0][1] + A[1][1] * B[1][1];
    const cross = Math.sqrt(trAB + 2 * Math.sqrt(3 * 3));
    const expected = (0.5 - -1) ** 2 + (2 - 2) ** 2 + 4 + 4 - 2 * cross;
    expect(frechetDistance(stats([0.5, 2], A), stats([-1, 2], B))).toBeCloseTo(expected, 10);
  });
  it('from samples of two Gaussians: the sample FID approaches the closed form', () => {
    manualSeed(3);
    const L = f64([[1, 0, 0], [0.5, 1, 0], [0, 0.3, 0.5]]);
    const a = randn([40_000, 3], { dtype: 'float64' });
    const b = randn([40_000, 3], { dtype: 'float64' }).mm(L.T).add(tensor([1, 0, -1], { dtype: 'float64' }));
    const closed = frechetDistance(stats([0, 0, 0], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]), { mu: tensor([1, 0, -1], { dtype: 'float64' }), sigma: L.mm(L.T), n: 2 });
    expect(fid(b, a).mean).toBeCloseTo(closed, 1);
    expect(gaussianStats(a).sigma.shape).toEqual([3, 3]);
    expect(frechetDistance(gaussianStats(a), gaussianStats(a))).toBeCloseTo(0, 8);
  });
});

describe('KID by hand', () => {
  it('x = {0, 1}, y = {2, 3} in 1-D, k = (xy + 1)³: MMD² = 1 + 343 − 46.5', () => {
    const r = kid(f64([[2], [3]]), f64([[0], [1]]), { subsets: 1, subsetSize: 2 });
    expect(r.mean).toBeCloseTo(297.5, 9);
  });
  it("the std over subsets divides by their number (np.std, torch-fidelity's); ddof 1 is the option", () => {
    manualSeed(3);
    const [a, b] = [randn([40, 3]), randn([40, 3]).add(0.5)];
    const ref = kid(a, b, { subsets: 10, subsetSize: 20 });
    const sample = kid(a, b, { subsets: 10, subsetSize: 20, ddof: 1 });
    expect(sample.mean).toBe(ref.mean);
    expect(ref.std).toBeCloseTo(sample.std * Math.sqrt(9 / 10), 14);
  });
  it('a subset larger than a set is refused, as torch-fidelity refuses, naming both sizes and the fix', () => {
    expect(() => kid(f64([[1], [2], [3]]), f64([[0], [1], [2], [4], [5]]))).toThrow(/subset size 1000 is larger than the 3 feature vectors .*--kid-subset-size/);
  });
});

describe('FID of a set against itself', () => {
  it('rank-deficient features (20-D, rank 5): 0, not a rounding below it', () => {
    manualSeed(5);
    const x = randn([200, 5], { dtype: 'float64' }).mm(randn([5, 20], { dtype: 'float64' }));
    const f = fid(x, x).mean;
    expect(f).toBeGreaterThanOrEqual(0);
    expect(f).toBeLessThan(1e-6);
  });
});

describe('precision/recall and density/coverage on points whose balls are known', () => {
  // Real X on a line with 1-NN radii 1, 1, 2, 3, 1, 1: balls [−1,1], [0,2], [1,5], [3,9], [29,31], [30,32].
  // Fake Y: 0.5, 2, 4, 10 with 1-NN radii 1.5, 1.5, 2, 6.
  const X = f64([[0], [1], [3], [6], [30], [31]]);
  const Y = f64([[0.5], [2], [4], [10]]);
  it('k = 1, closed balls (≤, as the papers write it and Kynkäänniemi et al.\'s code counts)', () => {
    const r = prdc(X, Y, { kPr: 1, kDc: 1, ball: { pr: 'closed', dc: 'closed' } });
    expect(r.precision).toBeCloseTo(3 / 4, 12); // 10 is in no real ball; 2 sits on the boundary of [0, 2]
    expect(r.recall).toBeCloseTo(4 / 6, 12); // 30 and 31 are in no fake ball
    expect(r.density).toBeCloseTo(6 / 4, 12); // 0.5, 2 and 4 are each in two real balls
    expect(r.coverage).toBeCloseTo(4 / 6, 12);
  });
  it("k = 1, open balls (<, prdc's rule, the density/coverage default): 2 on the boundary of [0, 2] is outside it", () => {
    const r = prdc(X, Y, { kPr: 1, kDc: 1, ball: { pr: 'open', dc: 'open' } });
    expect(r.precision).toBeCloseTo(3 / 4, 12); // 2 is still inside (1, 5)
    expect(r.recall).toBeCloseTo(4 / 6, 12);
    expect(r.density).toBeCloseTo(5 / 4, 12); // 0.5: 2 balls, 2: 1, 4: 2
    expect(r.coverage).toBeCloseTo(4 / 6, 12);
    // The defaults: precision/recall closed, density/coverage open.
    const d = prdc(X, Y, { kPr: 1, kDc: 1 });
    expect([d.precision, d.recall, d.density, d.coverage]).toEqual([prdc(X, Y, { kPr: 1, kDc: 1, ball: { pr: 'closed', dc: 'closed' } }).precision, r.recall, r.density, r.coverage]);
  });
  it('duplicated points (a generator copying training points): radius-0 balls hold the copies when closed, nothing when open', () => {
    // 10 real points 0, 10, …, 90, six copies each: with k = 5 every real radius is 0 (exact in float64).
    const real = f64(Array.from({ length: 60 }, (_, i) => [10 * Math.floor(i / 6)]));
    // 20 fakes: five copies each of 0, 10, 20, 30; their 5th neighbour is 10 away, so their radius is 10.
    const fake = f64(Array.from({ length: 20 }, (_, i) => [10 * Math.floor(i / 5)]));
    const closed = prdc(real, fake, { kPr: 5, kDc: 5, ball: { pr: 'closed', dc: 'closed' } });
    expect(closed.precision).toBe(1);
    expect(closed.density).toBeCloseTo((20 * 6) / (5 * 20), 12); // each fake in its 6 copies' balls
    expect(closed.coverage).toBeCloseTo(24 / 60, 12);
    expect(closed.recall).toBeCloseTo(30 / 60, 12); // 0–30, and 40 at exactly 10 from the fake 30
    const open = prdc(real, fake, { kPr: 5, kDc: 5, ball: { pr: 'open', dc: 'open' } });
    expect([open.precision, open.density, open.coverage]).toEqual([0, 0, 0]);
    expect(open.recall).toBeCloseTo(24 / 60, 12);
  });
  it('identical sets: precision, recall and coverage are 1; one far-off fake point lowers precision only', () => {
    manualSeed(1);
    const a = randn([200, 5]);
    const r = prdc(a, a);
    expect([r.precision, r.recall, r.coverage]).toEqual([1, 1, 1]);
    const b = cat([a.narrow(0, 0, 199), full([1, 5], 100)], 0);
    const s = prdc(a, b);
    expect(s.precision).toBeCloseTo(199 / 200, 12);
    expect(s.recall).toBe(1);
  });
  it('blocks of any size give the same answer', () => {
    manualSeed(2);
    const [a, b] = [randn([300, 4]), randn([250, 4]).add(0.3)];
    const whole = prdc(a, b, { block: 4096 });
    expect(prdc(a, b, { block: 7 })).toEqual(whole);
    expect(prdc(a, b, { only: 'pr' }).precision).toBe(whole.precision);
    expect(prdc(a, b, { only: 'dc' }).coverage).toBe(whole.coverage);
  });
});

describe('Inception-style and MODE scores on a 3-class toy', () => {
  const probs = f64([[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]]);
  it('IS = exp(⅔ log 2): two confident samples, one split between their classes', () => {
    expect(inceptionScore(probs).mean).toBeCloseTo(2 ** (2 / 3), 12);
  });
  it('MODE = exp(E KL(p(y|x) ‖ p_g) − KL(p_g ‖ p_train)), p_train uniform: 2^⅔ / 1.5', () => {
    // p_g = (½, ½, 0): the first term is the IS's, ⅔ log 2; KL(p_g ‖ uniform) = log 1.5.
    expect(modeScore(probs, [1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(2 ** (2 / 3) / 1.5, 12);
  });
  it('sharp, varied labels in the wrong proportions score below their IS: MODE = IS · exp(−KL(p_g ‖ p_train))', () => {
    // Three samples of class 0, one of class 1, against p_train = (½, ½): IS = exp(H), H = H(¾, ¼).
    const p = f64([[1, 0], [1, 0], [1, 0], [0, 1]]);
    const H = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    expect(inceptionScore(p).mean).toBeCloseTo(Math.exp(H), 12);
    expect(modeScore(p, [0.5, 0.5])).toBeCloseTo(Math.exp(H - (Math.log(2) - H)), 12);
    expect(modeScore(p, [0.5, 0.5])).toBeLessThan(inceptionScore(p).mean);
    // In the training proportions the two agree.
    expect(modeScore(p, [0.75, 0.25])).toBeCloseTo(inceptionScore(p).mean, 12);
    manualSeed(4);
    const q = randn([50, 6], { dtype: 'float64' }).mul(2).softmax(1);
    const train = [0.1, 0.2, 0.3, 0.2, 0.1, 0.1];
    const pg = q.mean(0).toNumbers();
    const kl = pg.reduce((a, v, i) => a + v * Math.log(v / train[i]), 0);
    expect(modeScore(q, train)).toBeCloseTo(inceptionScore(q).mean * Math.exp(-kl), 10);
  });
  it('one-hot samples spread evenly over K classes give IS = K; all in one class give 1', () => {
    const eye = f64([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
    expect(inceptionScore(eye).mean).toBeCloseTo(4, 12);
    expect(inceptionScore(f64([[1, 0], [1, 0]])).mean).toBeCloseTo(1, 12);
    expect(inceptionScore(cat([eye, eye], 0), 2)).toMatchObject({ mean: 4, std: 0, splits: 2 });
    // Splits scoring 4 and 1: std 1.5 dividing by the 2 splits (np.std, as torch-fidelity), 2.12 by 1.
    const one = f64([[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]);
    expect(inceptionScore(cat([eye, one], 0), 2).std).toBeCloseTo(1.5, 12);
    expect(inceptionScore(cat([eye, one], 0), 2, 1).std).toBeCloseTo(1.5 * Math.SQRT2, 12);
  });
});

describe('IvOM', () => {
  it('a linear generator onto the first two coordinates: the best error is the third coordinate², per pixel', () => {
    manualSeed(5);
    const G = new Linear(2, 3, { bias: false });
    noGrad(() => G.weight.copy_(f64([[1, 0], [0, 1], [0, 0]]).float()));
    const x = tensor([[0.3, -0.7, 0.6], [1.2, 0.4, 0]]);
    const r = ivom(G, (k) => randn([k, 2]), x, { steps: 300, restarts: 2, lr: 0.05 });
    expect(r.errors[0]).toBeCloseTo(0.36 / 3, 4);
    expect(r.errors[1]).toBeCloseTo(0, 4);
    expect(r.mean).toBeCloseTo(0.06, 4);
    expect(G.weight.requiresGrad).toBe(true);
    expect(G.weight.grad).toBeNull();
  });
});

describe('image samples from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-samples-'));
  const npy = (name: string, descr: string, shape: number[], bytes: Uint8Array) => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const head = Buffer.alloc(10);
    head.write('\x93NUMPY', 0, 'latin1');
    head[6] = 1;
    head.writeUInt16LE(header.length, 8);
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(bytes)]));
    return path;
  };
  it('uint8 NHWC becomes NCHW in [−1, 1]; float NCHW passes through; bad shapes and ranges are named', () => {
    const px = Uint8Array.from({ length: 2 * 28 * 28 * 3 }, (_, i) => i % 256);
    const x = readImageSamples(npy('u8.npy', '|u1', [2, 28, 28, 3], px), image(3, 28) as never);
    expect(x.shape).toEqual([2, 3, 28, 28]);
    expect(x.select(0, 0).select(0, 0).select(0, 0).select(0, 1).item()).toBeCloseTo(3 / 127.5 - 1, 6); // pixel (0, 1), red = byte 3
    const fl = new Float32Array(2 * 28 * 28).fill(0.5);
    expect(readImageSamples(npy('f.npy', '<f4', [2, 1, 28, 28], new Uint8Array(fl.buffer)), image(1, 28) as never).mean().item()).toBeCloseTo(0.5, 6);
    expect(() => readImageSamples(npy('u8.npy', '|u1', [2, 28, 28, 3], px), image(1, 28) as never)).toThrow(/u8\.npy.*shape \(2,28,28,3\).*1×28×28/);
    const big = new Float32Array(28 * 28).fill(200);
    expect(() => readImageSamples(npy('big.npy', '<f4', [1, 28, 28], new Uint8Array(big.buffer)), image(1, 28) as never)).toThrow(/outside \[−1, 1\]/);
  });
  it('a float array in [0, 1] is named with both ranges; --range 0,1 reads it as [0, 1] images', () => {
    const unit = new Float32Array(2 * 28 * 28).map((_, i) => (i % 10) / 10);
    const path = npy('unit.npy', '<f4', [2, 1, 28, 28], new Uint8Array(unit.buffer));
    const warnings: string[] = [];
    const asIs = readImageSamples(path, image(1, 28) as never, { warn: (w) => warnings.push(w) });
    expect(asIs.min().item()).toBeCloseTo(0, 6);
    expect(warnings.join()).toMatch(/every value is in \[0, 1\].*read as \[−1, 1\] images.*--range 0,1/);
    const scaled = readImageSamples(path, image(1, 28) as never, { range: '0,1', warn: (w) => warnings.push(w) });
    expect([scaled.min().item(), scaled.max().item()].map((v) => +v.toFixed(5))).toEqual([-1, 0.8]);
    expect(warnings).toHaveLength(1);
    expect(() => readImageSamples(npy('neg.npy', '<f4', [1, 1, 28, 28], new Uint8Array(new Float32Array(784).fill(-0.5).buffer)), image(1, 28) as never, { range: '0,1' })).toThrow(/outside \[0, 1\] \(--range 0,1\)/);
  });
  it('a folder of 32×32 RGB files is refused for a 28×28 grey reference, as .npy is; --convert converts and says what', () => {
    const folder = join(dir, 'rgb32');
    mkdirSync(folder);
    for (const name of ['a.png', 'b.png']) {
      const png = new PNG({ width: 32, height: 32 });
      png.data.fill(0).forEach((_, i) => (png.data[i] = i % 4 === 3 ? 255 : (i * 7) % 256));
      writeFileSync(join(folder, name), PNG.sync.write(png));
    }
    expect(() => readImageSamples(folder, image(1, 28) as never)).toThrow(/rgb32: the reference's images are 28×28 grey, and 2 file\(s\) 32×32 RGB → 28×28 grey \(first: a\.png\).*--convert/);
    const said: string[] = [];
    const x = readImageSamples(folder, image(1, 28) as never, { convert: true, warn: (w) => said.push(w) });
    expect(x.shape).toEqual([2, 1, 28, 28]);
    expect(said.join()).toContain('converted 2 file(s) 32×32 RGB → 28×28 grey');
    // A folder that happens to be called c.png is not an image (it gave a raw EISDIR).
    mkdirSync(join(folder, 'c.png'));
    expect(readImageSamples(folder, image(1, 28) as never, { convert: true }).shape).toEqual([2, 1, 28, 28]);
  });
});

describe('the MNIST-CNN feature space on real data', () => {
  it('Stacked-MNIST features are the three channels\u2019 MNIST features side by side; ids are 100a + 10b + c', () => {
    const stacked = featureSpaceFor('stacked-mnist');
    const single = featureSpaceFor('mnist');
    expect([stacked.dim, stacked.labels, single.dim, single.labels]).toEqual([384, 1000, 128, 10]);
    manualSeed(6);
    const x = imageSampler('stacked-mnist').sample(16);
    const s = stacked.read(x);
    const g = single.read(x.narrow(1, 1, 1).contiguous());
    expect(s.features.narrow(1, 128, 128).sub(g.features).abs().max().item()).toBeLessThan(1e-5);
    const ids = s.probs.argmax(1).toNumbers();
    const digits = [0, 1, 2].map((c) => single.read(x.narrow(1, c, 1).contiguous()).probs.argmax(1).toNumbers());
    expect(ids).toEqual(digits[0].map((a, i) => 100 * a + 10 * digits[1][i] + digits[2][i]));
    expect(stacked.trainLabels.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });
  it('FID-MNIST-CNN(train vs test) is over 20x smaller than against noise or a one-digit set; precision and recall of real vs real ≥ 0.7', () => {
    manualSeed(7);
    const space = featureSpaceFor('mnist');
    const n = 2000;
    const { train, test, noise, ones } = scope(() => {
      const m = loadMnist('train');
      const read = (x: Tensor) => keep(space.read(x).features);
      return {
        train: read(imageSampler('mnist').sample(n)),
        test: read(imageSampler('mnist', { split: 'test' }).sample(n)),
        noise: read(rand([n, 1, 28, 28]).mul(2).sub(1)),
        ones: read(toPixels(m.images.indexSelect(0, m.byClass[1].narrow(0, 0, n))).unsqueeze(1)),
      };
    });
    const real = fid(train, test).mean;
    expect(real * 20).toBeLessThan(fid(noise, test).mean);
    expect(real * 20).toBeLessThan(fid(ones, test).mean);
    const r = prdc(test, train);
    expect(r.precision).toBeGreaterThanOrEqual(0.7);
    expect(r.recall).toBeGreaterThanOrEqual(0.7);
    const one = prdc(test, ones);
    expect(one.recall).toBeLessThan(0.3); // one digit of ten: most real balls hold no sample
  });
});

describe('the noisy third-party discriminator', () => {
  const family = familyFor(image(1, 28), 'small-d-half', []);
  const m = loadMnist('train');
  const test = keep(toPixels(loadMnist('test').images.narrow(0, 0, 2000)).unsqueeze(1));
  const train = (k: number) => toPixels(m.images.indexSelect(0, randint(0, m.n, [k]))).unsqueeze(1);
  it('real against real: missing mass at 0.9 ≤ 0.02', () => {
    manualSeed(8);
    const r = noisyDiscriminator(family, train, train, test, { steps: 600 });
    expect(r.missing_mass['0.9']).toBeLessThanOrEqual(0.02);
    expect(r.mean_score).toBeGreaterThan(0.35);
    expect(r.mean_score).toBeLessThan(0.65);
  });
  it('a generator of blank images misses every mode: missing mass at 0.9 near 1, top images are real digits', () => {
    manualSeed(9);
    const r = noisyDiscriminator(family, train, (k) => full([k, 1, 28, 28], -1), test, { steps: 800 });
    expect(r.missing_mass['0.9']).toBeGreaterThan(0.95);
    expect(r.top).toHaveLength(64);
    expect(r.top_scores[0]).toBeGreaterThanOrEqual(r.top_scores[63]);
  });
});
