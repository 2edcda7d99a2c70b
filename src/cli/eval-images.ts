// `gantry eval-images`: every image metric on a sample set (a folder of PNG/JPEG files or a .npy
// array) or on a run's generator, against an MNIST-family reference, with the real-data row.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { IMAGE_DATASETS, imageSampler, type ImageDatasetName } from '../data/images.js';
import type { DataShape } from '../data/shape.js';
import { readImageSamples } from '../data/user-images.js';
import { IMAGE_METRICS, imageMetrics, imageMetricsTable, type ImageMetric, type ImageSource } from '../metrics/image-metrics.js';
import { familyFor, NETWORKS } from '../nets/index.js';
import { imageGrid } from '../report/images.js';
import { writePng } from '../report/raster.js';
import { manualSeed, useDevice } from '../torch/index.js';
import { loadRun } from '../train/load.js';
import { device, int, num } from './parsers.js';

export const DEFAULT_IMAGE_METRICS: ImageMetric[] = ['modes', 'fid', 'kid', 'pr', 'dc', 'is', 'mode'];


export function parseMetrics(v: string): ImageMetric[] {
  if (v === 'all') return [...IMAGE_METRICS];
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of names) if (!(IMAGE_METRICS as readonly string[]).includes(m)) throw new Error(`invalid --metrics: unknown metric '${m}'; choose from ${IMAGE_METRICS.join(', ')}, or all`);
  if (names.length === 0) throw new Error(`invalid --metrics: give at least one of ${IMAGE_METRICS.join(', ')}`);
  return names as ImageMetric[];
}

export function addEvalImages(program: Command): void {
  program
    .command('eval-images')
    .description('image metrics (FID/KID/precision-recall/density-coverage on the MNIST-CNN features, IS, MODE score, modes, IvOM, noisy discriminator) of samples or a run, with the real-data row')
    .option('--samples <path>', 'generated images: a folder of PNG/JPEG files, or .npy (uint8 [n,h,w] / [n,h,w,c], or float [n,c,h,w] in [-1, 1])')
    .addOption(new Option('--range <r>', 'the value range of float .npy samples (default -1,1, with a warning when every value is ≥ 0)').choices(['-1,1', '0,1']))
    .option('--convert', "resize and convert --samples image files that are not the reference's size and colour (refused otherwise)")
    .option('--run <dir>', 'a run folder written by gantry train (its generator; IvOM needs one)')
    .addOption(new Option('--reference <name>', "reference data (default: the run's dataset)").choices([...IMAGE_DATASETS]))
    .option('--metrics <list>', `comma-separated from ${IMAGE_METRICS.join(', ')}, or all`, parseMetrics, DEFAULT_IMAGE_METRICS)
    .option('--n <n>', 'images per row and reference images', int('--n'), 10000)
    .option('--splits <n>', 'FID and IS over this many splits (mean ± std)', int('--splits'), 1)
    .option('--kid-subset-size <n>', "KID's subset size (torch-fidelity's default 1000; at most --n)", int('--kid-subset-size'), 1000)
    .option('--seed <n>', 'random seed (reference draw, run samples, KID subsets, IvOM starts)', int('--seed'), 0)
    .option('--noise-sigma <list>', "the noisy discriminator's input noise σ, one or more (comma-separated)", '0.5')
    .option('--noisy-steps <n>', "the noisy discriminator's training steps", int('--noisy-steps'), 12000)
    .addOption(new Option('--nets <family>', "the noisy discriminator's architecture for --samples (a run uses its own)").choices(NETWORKS.filter((n) => n !== 'mlp')).default('small-d-half'))
    .option('--ivom-n <n>', 'test images IvOM reconstructs', int('--ivom-n'), 256)
    .option('--ivom-steps <n>', 'Adam steps on z per restart', int('--ivom-steps'), 200)
    .option('--ivom-restarts <n>', 'random starts per image', int('--ivom-restarts'), 3)
    .option('--ivom-lr <lr>', "Adam's learning rate on z", num('--ivom-lr'), 0.05)
    .option('--device <d>', "cpu, cuda or cuda:N (default: the run's, or cpu)", device)
    .option('--out <dir>', 'where eval-images.md, eval-images.json and missing-modes PNGs go (default: the run folder, or eval-images/)')
    .option('--json', 'print eval-images.json instead of the table')
    .action((o) => {
      if (!o.samples === !o.run) throw new Error('invalid options: give --samples PATH or --run DIR (one of them)');
      if (o.n < 2) throw new Error('invalid --n: need at least 2 images');
      if (o.splits < 1 || o.ivomN < 1 || o.ivomSteps < 1 || o.ivomRestarts < 1 || o.noisySteps < 1) throw new Error('invalid options: --splits, --ivom-n, --ivom-steps, --ivom-restarts and --noisy-steps must be at least 1');
      if (!(o.ivomLr > 0)) throw new Error(`invalid --ivom-lr: must be > 0, got ${o.ivomLr}`);
      const sigmas = String(o.noiseSigma).split(',').map(Number);
      if (sigmas.some((s) => !(s >= 0))) throw new Error(`invalid --noise-sigma: need numbers ≥ 0, got '${o.noiseSigma}'`);
      const metrics = o.metrics as ImageMetric[];
      if (!o.run) useDevice(o.device ?? 'cpu');
      const run = o.run ? loadRun(o.run, { device: o.device }) : null;
      const reference = (o.reference ?? run?.config.dataset.name) as ImageDatasetName | undefined;
      if (!reference || !(IMAGE_DATASETS as readonly string[]).includes(reference)) {
        throw new Error(`invalid --reference: give one of ${IMAGE_DATASETS.join(', ')}${run ? ` (the run's data, ${run.config.dataset.name}, has no MNIST-family reference)` : ''}`);
      }
      if (metrics.includes('ivom') && !run) throw new Error('invalid --metrics: ivom optimises a generator\'s input, so it needs --run DIR');
      const shape = imageSampler(reference).shape as DataShape & { kind: 'image' };
      const source: ImageSource = run
        ? {
            label: `${run.config.method} (${o.run})`,
            images: () => {
              manualSeed(o.seed);
              return run.method.sample(o.n);
            },
            generator: { G: run.method.Gema ?? run.method.G, noise: (k: number) => run.method.noise(k) },
            family: run.method.family,
          }
        : {
            label: o.samples,
            images: () => {
              const x = readImageSamples(o.samples, shape, { range: o.range, convert: o.convert, warn: (s) => console.error(`gantry: ${s}`) });
              return x.shape[0] > o.n ? x.narrow(0, 0, o.n) : x;
            },
          };
      const family = familyFor(shape, o.nets, []);
      const out = o.out ?? (o.run ? o.run : 'eval-images');
      const extra = metrics.includes('noisy-d') ? sigmas.slice(1) : [];
      const options = (sigma: number, only?: ImageMetric[]) => ({
        metrics: only ?? metrics,
        n: o.n,
        seed: o.seed,
        splits: o.splits,
        kid: { subsetSize: o.kidSubsetSize },
        ivom: { n: o.ivomN, steps: o.ivomSteps, restarts: o.ivomRestarts, lr: o.ivomLr },
        noisyD: { sigma, steps: o.noisySteps, family },
      });
      const results = [imageMetrics(reference, [source], options(sigmas[0])), ...extra.map((s) => imageMetrics(reference, [source], options(s, ['noisy-d'])))];
      const result = results[0];
      if (extra.length) {
        // One table: the noisy discriminator's columns name their σ.
        const noisy = results.map((r, i) => r.rows.map((row) => Object.entries(row.values).filter(([k]) => k.startsWith('missing mass')).map(([k, v]) => [`${k} (σ ${sigmas[i]})`, v] as const)));
        result.rows.forEach((row, j) => {
          for (const k of Object.keys(row.values)) if (k.startsWith('missing mass')) delete row.values[k];
          for (const perSigma of noisy) for (const [k, v] of perSigma[j]) row.values[k] = v;
        });
      }
      mkdirSync(out, { recursive: true });
      const written: string[] = [];
      results.forEach((r, i) =>
        r.rows.forEach((row, j) => {
          if (!row.missingImages) return;
          const file = join(out, `missing-modes${j === r.rows.length - 1 ? '-real' : ''}${results.length > 1 ? `-sigma${sigmas[i]}` : ''}.png`);
          writePng(file, imageGrid(row.missingImages, 8));
          written.push(file);
        }),
      );
      const table = imageMetricsTable(result);
      const json = { reference, feature_space: result.featureSpace, n: o.n, metrics, rows: result.rows.map((r) => ({ label: r.label, n: r.n, ...r.values })) };
      writeFileSync(join(out, 'eval-images.md'), table + '\n');
      writeFileSync(join(out, 'eval-images.json'), JSON.stringify(json, null, 2) + '\n');
      if (o.json) return console.log(JSON.stringify(json));
      console.log(table);
      console.log(`\nWrote ${[join(out, 'eval-images.md'), join(out, 'eval-images.json'), ...written].join(', ')}.`);
    });
}
