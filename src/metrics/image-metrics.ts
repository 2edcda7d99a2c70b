// Every image metric on one or more sample sets against one MNIST-family reference, each row beside
// the real-data row (held-out test images through the same metrics at the same count). What
// `gantry eval-images` prints and `gantry bench images` adds to its table.
//
// Reference features: n training images. Generated rows: n samples. The real-data row: n test images.
// IvOM needs a generator (it optimises the generator's input) and reconstructs test images; the
// noisy discriminator learns training images against each row's images and is applied to test
// images (for the real-data row, training images against training images: real vs real).
import { imageSampler, type ImageDatasetName } from '../data/images.js';
import { digitModesOf } from '../data/index.js';
import type { Family } from '../nets/family.js';
import type { Module } from '../nn/index.js';
import { keep, manualSeed, noGrad, randint, scope, tensor, type Tensor } from '../torch/index.js';
import { modeReport, readDigits } from './digits.js';
import { featureSpaceFor } from './features.js';
import { fid, gaussianStats, kid, type KidOptions } from './fid.js';
import { ivom, type IvomOptions } from './ivom.js';
import { noisyDiscriminator, type NoisyDOptions } from './noisy-d.js';
import { prdc } from './prdc.js';
import { inceptionScore, modeScore } from './scores.js';
import { loadEvaluator } from '../evaluator/mnist-cnn.js';

export const IMAGE_METRICS = ['modes', 'fid', 'kid', 'pr', 'dc', 'is', 'mode', 'ivom', 'noisy-d'] as const;
export type ImageMetric = (typeof IMAGE_METRICS)[number];

export interface ImageSource {
  label: string;
  /** Draws the n generated images [n, c, h, w] in [−1, 1] (called once, when this row is scored). */
  images: () => Tensor;
  /** For IvOM: the generator and its prior. */
  generator?: { G: Module; noise: (k: number) => Tensor };
  /** The networks of the run, whose discriminator architecture the noisy discriminator copies. */
  family?: Family;
}

export interface ImageMetricsOptions {
  metrics: readonly ImageMetric[];
  /** Images per row (and reference images). */
  n: number;
  seed?: number;
  /** Splits of FID and IS (mean ± std). */
  splits?: number;
  kid?: KidOptions;
  ivom?: IvomOptions & { n?: number };
  noisyD?: NoisyDOptions & { family?: Family };
  /** Top-probability threshold of the confident-mode count. */
  confidence?: number;
}

export interface ImageMetricsRow {
  label: string;
  n: number;
  /** Metric name → value; names carry the feature space (FID-MNIST-CNN) and "… std" the spread. */
  values: Record<string, number>;
  /** The noisy discriminator's highest-scoring test images (the missing modes), when it ran. */
  missingImages?: Tensor;
}

export interface ImageMetricsResult {
  reference: string;
  featureSpace: string;
  referenceN: number;
  rows: ImageMetricsRow[];
}

/** Scores each source and the real-data row; the real-data row comes last. */
export function imageMetrics(reference: ImageDatasetName, sources: ImageSource[], o: ImageMetricsOptions): ImageMetricsResult {
  const space = featureSpaceFor(reference);
  const tag = (m: string) => `${m}-${space.name}`;
  const has = (m: ImageMetric) => o.metrics.includes(m);
  manualSeed(o.seed ?? 0);
  const train = imageSampler(reference);
  const test = imageSampler(reference, { split: 'test' });
  const needFeatures = has('fid') || has('kid') || has('pr') || has('dc') || has('is') || has('mode');
  const refFeatures = needFeatures ? keep(noGrad(() => space.read(train.sample(o.n)).features)) : null;
  const refStats = has('fid') && refFeatures ? scope(() => gaussianStats(refFeatures)) : null;
  if (refStats) keep([refStats.mu, refStats.sigma]);
  const digits = digitModesOf(reference);
  const testImages = has('ivom') || has('noisy-d') ? keep(noGrad(() => test.sample(has('noisy-d') ? 10_000 : (o.ivom?.n ?? 256)))) : null;

  const score = (src: ImageSource, real: boolean): ImageMetricsRow => {
    const values: Record<string, number> = {};
    let missingImages: Tensor | undefined;
    let n = 0;
    scope(() => {
      const x = noGrad(src.images);
      n = x.shape[0];
      if (needFeatures && refFeatures) {
        const { features, probs } = space.read(x);
        if (has('fid') && refStats) {
          const f = fid(features, refStats, o.splits ?? 1);
          values[tag('FID')] = f.mean;
          if (f.splits > 1) values[`${tag('FID')} std`] = f.std;
        }
        if (has('kid')) {
          const k = kid(features, refFeatures, o.kid);
          values[tag('KID')] = k.mean;
          values[`${tag('KID')} std`] = k.std;
        }
        if (has('pr') || has('dc')) {
          // Density always stands beside precision: k-NN precision reads a collapsed, blurry generator
          // as 1.000 when outliers inflate the real balls; density (proposed to fix it) does not.
          const r = prdc(refFeatures, features);
          if (has('pr')) Object.assign(values, { [tag('precision')]: r.precision, [tag('density')]: r.density, [tag('recall')]: r.recall });
          if (has('dc')) Object.assign(values, { [tag('density')]: r.density, [tag('coverage')]: r.coverage });
        }
        if (has('is')) {
          const s = inceptionScore(probs, o.splits ?? 1);
          values[tag('IS')] = s.mean;
          if (s.splits > 1) values[`${tag('IS')} std`] = s.std;
        }
        if (has('mode')) values[tag('MODE')] = modeScore(probs, space.trainLabels);
      }
      if (has('modes') && digits) {
        const { ids, confidence } = readDigits(loadEvaluator('mnist'), x, digits.layout);
        const r = modeReport(ids, confidence, digits.q, o.confidence ?? 0.99);
        Object.assign(values, { modes: r.modes, KL: r.kl, 'modes (confident)': r.modes_confident });
        // Compositional MNIST's #Miss: numbers never generated (its KL is against the unequal p_train).
        if (reference === 'compositional-mnist') values['#Miss'] = r.missing.length;
      }
      if (has('ivom') && src.generator && testImages) {
        const targets = testImages.narrow(0, 0, Math.min(o.ivom?.n ?? 256, testImages.shape[0]));
        const r = ivom(src.generator.G, src.generator.noise, targets, o.ivom);
        Object.assign(values, { IvOM: r.mean, 'IvOM std': r.std });
      }
      if (has('noisy-d') && testImages) {
        const family = src.family ?? o.noisyD?.family;
        if (!family) throw new Error('the noisy discriminator needs a network family (a run, or --nets)');
        const pool = real ? null : x;
        const generated = (k: number) => (pool ? pool.indexSelect(0, randint(0, pool.shape[0], [k])) : train.sample(k));
        const r = noisyDiscriminator(family, (k) => train.sample(k), generated, testImages, o.noisyD);
        for (const [t, v] of Object.entries(r.missing_mass)) values[`missing mass >${t}`] = v;
        missingImages = keep(testImages.indexSelect(0, tensorIndex(r.top)));
      }
    });
    return { label: src.label, n, values, missingImages };
  };

  const rows = sources.map((s) => score(s, false));
  rows.push(scope(() => score({ label: 'real data (held-out test images)', images: () => test.sample(o.n), family: o.noisyD?.family }, true)));
  return { reference, featureSpace: space.name, referenceN: o.n, rows };
}

const tensorIndex = (idx: number[]) => tensor(idx).to('int64');

/** The markdown table: one row per source, one column per value, n stated. */
export function imageMetricsTable(r: ImageMetricsResult): string {
  const cols = [...new Set(r.rows.flatMap((row) => Object.keys(row.values)))].filter((c) => !c.endsWith(' std'));
  const fmt = (row: ImageMetricsRow, c: string) => {
    const v = row.values[c];
    if (v === undefined) return '—';
    const d = Math.abs(v) >= 100 || Number.isInteger(v) ? (Number.isInteger(v) ? 0 : 1) : Math.abs(v) >= 1 ? 2 : 3;
    const std = row.values[`${c} std`];
    return std !== undefined ? `${v.toFixed(d)} ± ${std.toFixed(d)}` : v.toFixed(d);
  };
  const lines = [
    `| samples | n | ${cols.join(' | ')} |`,
    `|---|---|${cols.map(() => '---').join('|')}|`,
    ...r.rows.map((row) => `| ${row.label} | ${row.n} | ${cols.map((c) => fmt(row, c)).join(' | ')} |`),
  ];
  return `Reference: ${r.reference}, ${r.referenceN} training images; features ${r.featureSpace}.\n\n${lines.join('\n')}`;
}
