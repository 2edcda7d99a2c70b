// `npm run perf:metrics`: FID, precision/recall and density/coverage on 10,000 vs 10,000 feature
// vectors (the MNIST-CNN features of MNIST training vs test digits, and of Stacked-MNIST training
// vs test triples, 384-d), in gantry and in a NumPy/SciPy reference (perf/reference/metrics.py)
// on the same features, saved to .npy files. One JSON line per metric and feature set: both values,
// their relative difference, both median times and ratio = gantry_ms / numpy_ms.
// Then the real-data sanity figures of the image metrics (skip with --no-sanity): FID-MNIST-CNN of
// real vs real against noise and a one-digit set, precision/recall of real vs real, and the noisy
// discriminator on real vs real and on training data with the digit 7 removed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInt } from './options.js';
import { writeNpy } from '../src/data/files.js';
import { imageSampler, type ImageDatasetName } from '../src/data/images.js';
import { loadMnist, toPixels } from '../src/data/mnist.js';
import { image } from '../src/data/shape.js';
import { featureSpaceFor } from '../src/metrics/features.js';
import { fid } from '../src/metrics/fid.js';
import { noisyDiscriminator } from '../src/metrics/noisy-d.js';
import { prdc } from '../src/metrics/prdc.js';
import { familyFor } from '../src/nets/index.js';
import { cat, keep, manualSeed, rand, randint, scope, setNumThreads, type Tensor } from '../src/torch/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const program = new Command('perf:metrics')
  .description('FID, precision/recall, density/coverage: gantry vs NumPy/SciPy on the same features; then the sanity figures')
  .option('--n <n>', 'feature vectors per set', positiveInt('--n'), 10000)
  .option('--reps <n>', 'timed repetitions per side (median reported), after one warm-up', positiveInt('--reps'), 3)
  .option('--threads <n>', 'threads for both sides', positiveInt('--threads'), 2)
  .option('--features <list>', 'feature sets: mnist, stacked-mnist (none: only the sanity figures)', 'mnist,stacked-mnist')
  .option('--python <path>', 'Python with numpy and scipy (Debian python3-scipy)', process.env.GANTRY_PYTHON ?? '/usr/bin/python3')
  .option('--no-sanity', 'skip the real-data sanity figures')
  .option('--noisy-seeds <list>', "seeds of the noisy discriminator's digit-7-removed check (comma-separated)", '1')
  .parse();
const o = program.opts();

setNumThreads(o.threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed<T>(fn: () => T, reps: number): { value: T; ms: number } {
  scope(fn); // warm-up: thread pools, first allocations
  const ms: number[] = [];
  let value!: T;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    value = scope(fn);
    ms.push(performance.now() - t0);
  }
  return { value, ms: median(ms) };
}
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const line = (x: Record<string, unknown>) => console.log(JSON.stringify(x));

const dir = mkdtempSync(join(tmpdir(), 'gantry-perf-metrics-'));
try {
  for (const set of (o.features === 'none' ? [] : String(o.features).split(',')) as ImageDatasetName[]) {
    manualSeed(0);
    const space = featureSpaceFor(set);
    const [real, fake] = scope(() => [
      keep(space.read(imageSampler(set).sample(o.n)).features),
      keep(space.read(imageSampler(set, { split: 'test' }).sample(o.n)).features),
    ]);
    const [realPath, fakePath] = [join(dir, `${set}-real.npy`), join(dir, `${set}-fake.npy`)];
    writeNpy(realPath, real);
    writeNpy(fakePath, fake);
    const g = {
      fid: timed(() => ({ fid: fid(fake, real).mean }), o.reps),
      pr: timed(() => prdc(real, fake, { only: 'pr' }), o.reps),
      dc: timed(() => prdc(real, fake, { only: 'dc' }), o.reps),
    };
    const env = { ...process.env, OMP_NUM_THREADS: String(o.threads), OPENBLAS_NUM_THREADS: String(o.threads) };
    // NumPy's one warm-up is its first repetition; it reports the median of reps + 1.
    const py = spawnSync(o.python, [join(root, 'perf', 'reference', 'metrics.py'), realPath, fakePath, String(o.reps + 1)], { env, encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`the NumPy/SciPy reference failed (${o.python}): ${py.stderr.trim().split('\n').slice(-2).join(' ')}; install python3-scipy (bash scripts/setup.sh)`);
    const ref = JSON.parse(py.stdout) as Record<string, { value: number | Record<string, number>; ms: number }> & { numpy: string; scipy: string };
    const values = (k: 'fid' | 'pr' | 'dc') => {
      const mine = g[k].value as unknown as Record<string, number>;
      const theirs = (typeof ref[k].value === 'number' ? { fid: ref[k].value } : ref[k].value) as Record<string, number>;
      return Object.fromEntries(Object.keys(theirs).map((name) => [name, { gantry: mine[name], numpy: theirs[name], rel_diff: +rel(mine[name], theirs[name]).toExponential(2) }]));
    };
    for (const k of ['fid', 'pr', 'dc'] as const) {
      line({
        metric: k,
        features: `${space.name} (${set}, ${space.dim}-d)`,
        n: o.n,
        values: values(k),
        gantry_ms: +g[k].ms.toFixed(1),
        numpy_ms: +ref[k].ms.toFixed(1),
        ratio: +(g[k].ms / ref[k].ms).toFixed(3),
        threads: o.threads,
        numpy: ref.numpy,
        scipy: ref.scipy,
      });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (o.sanity) {
  manualSeed(1);
  const space = featureSpaceFor('mnist');
  const m = loadMnist('train');
  const feats = (x: Tensor) => keep(space.read(x).features);
  const { train, test, noise, ones } = scope(() => ({
    train: feats(imageSampler('mnist').sample(o.n)),
    test: feats(imageSampler('mnist', { split: 'test' }).sample(o.n)),
    noise: feats(rand([o.n, 1, 28, 28]).mul(2).sub(1)),
    ones: feats(toPixels(m.images.indexSelect(0, m.byClass[1].narrow(0, 0, Math.min(o.n, m.byClass[1].shape[0])))).unsqueeze(1)),
  }));
  const real = fid(train, test).mean;
  const [vsNoise, vsOne] = [fid(noise, test).mean, fid(ones, test).mean];
  line({ check: 'FID-MNIST-CNN: real vs real is ≥ 20x smaller than vs uniform noise and vs a one-digit set', n: o.n, real_vs_real: real, vs_noise: vsNoise, vs_one_digit: vsOne, ratio_noise: vsNoise / real, ratio_one_digit: vsOne / real, pass: vsNoise >= 20 * real && vsOne >= 20 * real });
  const pr = prdc(test, train, { only: 'pr' });
  line({ check: 'precision and recall of real (train) vs real (test) ≥ 0.7', n: o.n, precision: pr.precision, recall: pr.recall, pass: pr.precision >= 0.7 && pr.recall >= 0.7 });

  const family = familyFor(image(1, 28), 'small-d-half', []);
  const testSet = loadMnist('test');
  const testImages = keep(toPixels(testSet.images).unsqueeze(1));
  const draw = (idx: Tensor) => (k: number) => toPixels(m.images.indexSelect(0, idx.indexSelect(0, randint(0, idx.shape[0], [k])))).unsqueeze(1);
  const all = keep(cat(m.byClass, 0));
  const no7 = keep(cat(m.byClass.filter((_, d) => d !== 7), 0));
  const sevens = testSet.byClass[7].shape[0] / testSet.n;
  const seeds = String(o.noisySeeds).split(',').map(Number);
  const cases: [string, (k: number) => Tensor, number][] = [['real vs real', draw(all), seeds[0]], ...seeds.map((s): [string, (k: number) => Tensor, number] => ['training data with digit 7 removed', draw(no7), s])];
  for (const [name, generated, seed] of cases) {
    const t0 = performance.now();
    manualSeed(seed);
    const r = noisyDiscriminator(family, draw(all), generated, testImages);
    const covered = r.missing_mass['0.9'] / sevens;
    const top7 = r.top.filter((i) => testSet.labels.select(0, i).item() === 7).length;
    line({
      check: `noisy discriminator, ${name}`,
      seed,
      sigma: r.sigma,
      steps: r.steps,
      n_test: r.n_test,
      missing_mass: r.missing_mass,
      ...(name === 'real vs real' ? { pass: r.missing_mass['0.9'] <= 0.02 } : { digit7_mass: +sevens.toFixed(4), share_of_digit7_mass_at_0_9: +covered.toFixed(3), sevens_in_top_64: top7, pass: covered >= 0.8 }),
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    });
  }
}
