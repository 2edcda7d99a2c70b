// A run's folder: resolved config, metrics.jsonl, final.json, checkpoint, evaluation samples and
// plots. It listens to the trainer's events; the trainer never touches files.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../nn/index.js';
import type { Report } from '../metrics/report.js';
import { compactReport, isDigitReport } from '../metrics/report.js';
import { writeNpy } from '../data/files.js';
import { mulberry32 } from '../data/mixture.js';
import type { Method } from '../methods/index.js';
import { histogramPanel, imageGrid } from '../report/images.js';
import { densityPanel, drawPoints, heatPanel, squareRange, writePng, type Panel, type Range } from '../report/raster.js';
import { writeFigure } from '../report/figure.js';
import { cat, keep, linspace, manualSeed, noGrad, safetensors, scope, stack, tensor, withSeed, type Tensor } from '../torch/index.js';
import { writeCharts } from '../report/chart.js';
import { buildRun, type Run, type RunConfig, type RunConfigInput } from './config.js';
import { evalSeed } from './trainer.js';

export const FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  final: 'final.json',
  checkpoint: 'checkpoint.safetensors',
  /** The checkpoint before the last one, kept in case the last one is damaged. */
  previousCheckpoint: 'checkpoint.prev.safetensors',
  /** Losses and gradient norms over training, from metrics.jsonl. */
  lossCurves: 'losses.png',
  samples: 'samples.csv',
  density: 'density.png',
  critic: 'critic.png',
  /** Images: evaluation samples as .npy (float32 NCHW in [−1, 1]), a grid per evaluation from fixed z, the mode histogram. */
  samplesNpy: 'samples.npy',
  grid: (step: number) => `samples-step${String(step).padStart(7, '0')}.png`,
  histogram: 'modes-histogram.png',
  /** Real images (top half) and the same images through a method's view, e.g. the lens (bottom half). */
  view: (name: string, step: number) => `${name}-step${String(step).padStart(7, '0')}.png`,
  lensCurves: 'lens.png',
} as const;

/** metrics.jsonl's lines, in order. */
export function readMetrics(dir: string): ({ step: number; seconds?: number; losses?: Record<string, number> } & Record<string, unknown>)[] {
  const path = join(dir, FILES.metrics);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * The curves of a run folder, from metrics.jsonl (so a resumed run draws its whole history):
 * losses.png (the losses; the gradient norms on a log scale) and, for the lens, lens.png (its
 * adversarial weight λ and its reconstruction error ‖x − L(x)‖²).
 */
export function writeCurves(dir: string): void {
  const byKey: Record<string, [number, number][]> = {};
  for (const line of readMetrics(dir)) {
    for (const [k, v] of Object.entries(line.losses ?? {})) if (Number.isFinite(v)) (byKey[k] ??= []).push([line.step, v]);
  }
  const keys = Object.keys(byKey);
  if (!keys.length) return;
  const series = (pick: (k: string) => boolean) => keys.filter(pick).map((k) => ({ label: k, points: byKey[k] }));
  const lens = (k: string) => k === 'lambda' || k === 'lens_rec';
  writeCharts(
    join(dir, FILES.lossCurves),
    [
      { title: 'losses', yLabel: 'loss', series: series((k) => !k.startsWith('grad_norm_') && !lens(k)) },
      { title: 'gradient norms', yLabel: '‖∇‖', series: series((k) => k.startsWith('grad_norm_')), logY: true },
    ],
    'generator steps',
  );
  if (byKey.lambda) {
    writeCharts(
      join(dir, FILES.lensCurves),
      [
        { title: 'lens weight λ = 1 − sin(tπ/2K)', yLabel: 'λ', series: [{ label: 'λ', points: byKey.lambda }] },
        { title: 'lens reconstruction ‖x − L(x)‖²', yLabel: 'per sample', series: [{ label: 'reconstruction', points: byKey.lens_rec ?? [] }] },
      ],
      'generator steps',
    );
  }
}

/**
 * The same 64 latent codes at every evaluation, so the grids show one set of samples evolving.
 * Drawn with a JavaScript PRNG: torch's stream, and so the training, is untouched.
 */
export function fixedNoise(method: Method, n = 64, seed = 20_161_126): Tensor {
  const rng = mulberry32(seed);
  const d = method.protocol.latentDim;
  const v = new Float32Array(n * d);
  for (let i = 0; i < v.length; i++) {
    if (method.protocol.prior === 'uniform') v[i] = 2 * rng() - 1;
    else v[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()); // Box–Muller
  }
  return tensor(v, { shape: [n, d] });
}

/** G's (or its average's) images for the fixed codes, as a PNG grid. */
export function writeSampleGrid(method: Method, path: string): void {
  scope(() =>
    noGrad(() => {
      const G = method.Gema ?? method.G;
      G.eval();
      const x = G.forward(fixedNoise(method));
      G.train();
      writePng(path, imageGrid(x));
    }),
  );
}

/** Where a resumed run starts: the checkpoint's step and the training seconds before it. */
export interface ResumePoint {
  step: number;
  seconds: number;
}

/**
 * Writes the run's files as the trainer reports progress: metrics.jsonl (losses every `logEvery`
 * steps, and a line with the metrics at every evaluation), sample grids, curves, checkpoints.
 * Resuming, config.json stays and metrics.jsonl keeps only its lines up to the checkpoint's step,
 * so the finished folder equals an uninterrupted run's (timing fields aside).
 */
export function recordRun(run: Run, dir: string, resume?: ResumePoint): void {
  mkdirSync(dir, { recursive: true });
  const metricsPath = join(dir, FILES.metrics);
  if (resume) {
    // Lines up to the checkpoint were written before it; the final evaluation's line is written
    // again when the checkpoint is the final one (the run died before final.json).
    rewriteMetrics(dir, readMetrics(dir).filter((l) => l.step <= resume.step && l.step < run.config.steps));
  } else {
    writeFileSync(join(dir, FILES.config), JSON.stringify(run.config, null, 2) + '\n');
    writeFileSync(metricsPath, '');
  }
  const t0 = performance.now() - (resume?.seconds ?? 0) * 1000;
  const seconds = () => +((performance.now() - t0) / 1000).toFixed(2);
  const { steps, evalEvery, logEvery } = run.config;
  const evaluated = (step: number) => step === steps || (evalEvery > 0 && step % evalEvery === 0);
  let lastLosses: Record<string, number> = {};
  run.trainer.on('step', ({ step, losses }) => {
    lastLosses = losses;
    if (logEvery > 0 && step % logEvery === 0 && !evaluated(step)) appendFileSync(metricsPath, JSON.stringify({ step, seconds: seconds(), losses }) + '\n');
  });
  const images = run.data.shape.kind === 'image';
  // Methods with other views of real data (the lens): a fixed real batch, drawn on a private stream
  // of the run's seed (the training's randomness is untouched, a resumed run draws the same batch),
  // shown through each view at every evaluation.
  const fixedReal = images ? keep(withSeed(run.config.seed * 7919 + 0x7ea1, () => noGrad(() => run.data.sampler.sample(32)))) : null;
  run.trainer.on('eval', ({ step, report }) => {
    appendFileSync(metricsPath, JSON.stringify({ step, seconds: seconds(), losses: lastLosses, ...compactReport(report) }) + '\n');
    if (images) writeSampleGrid(run.method, join(dir, FILES.grid(step)));
    if (fixedReal) {
      scope(() => {
        for (const [name, view] of Object.entries(run.method.views(fixedReal))) writePng(join(dir, FILES.view(name, step)), imageGrid(cat([fixedReal, view], 0), 8));
      });
    }
    writeCurves(dir);
  });
  run.trainer.on('checkpoint', ({ step }) => {
    const bad = Object.entries(run.method.modules).find(([, m]) => !scope(() => m.parameters().every((p) => Number.isFinite(p.sum().item()))));
    if (bad) throw new Error(`not writing a checkpoint at step ${step}: the weights of ${bad[0]} are not finite (the last checkpoint is kept)`);
    saveCheckpoint(
      join(dir, FILES.checkpoint),
      { modules: run.method.modules, optimizers: run.method.optimizers },
      { step, seconds: seconds(), methodState: run.method.state },
      { rng: true, previous: join(dir, FILES.previousCheckpoint) },
    );
  });
}

/** metrics.jsonl replaced by `lines`, atomically (a resumed or rolled-back run cuts it back). */
function rewriteMetrics(dir: string, lines: object[]): void {
  safetensors.writeFileAtomic(join(dir, FILES.metrics), lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

/**
 * The divergence guard's roll-back: the last good checkpoint back into `run`, metrics.jsonl cut to
 * its step plus a line saying what happened, every optimizer's learning rate halved from the one
 * that diverged. Returns the step to continue from.
 */
export function rollBack(run: Run, dir: string, divergedAt: number, retry: number, log?: (s: string) => void): number {
  const before = Object.fromEntries(Object.entries(run.method.optimizers).map(([k, o]) => [k, o.lr]));
  const { step } = restoreCheckpoint(run, dir, { rng: true, log });
  const lr: Record<string, number> = {};
  for (const [k, o] of Object.entries(run.method.optimizers)) lr[k] = o.lr = before[k] / 2;
  rewriteMetrics(dir, [...readMetrics(dir).filter((l) => l.step <= step), { step, event: 'diverged', diverged_at: divergedAt, retry, lr }]);
  log?.(`losses not finite at step ${divergedAt}: back to the checkpoint of step ${step}, learning rates halved (${Object.entries(lr).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}), retry ${retry}`);
  return step;
}

export const hasCheckpoint = (dir: string): boolean => [FILES.checkpoint, FILES.previousCheckpoint].some((f) => existsSync(join(dir, f)));

/**
 * Loads a run folder's last good checkpoint into `run` (weights, optimizers, method state and, with
 * `rng`, the random generator): checkpoint.safetensors, or the one before it when the last one is
 * damaged, said through `log`. Returns the step and the seconds trained before it.
 */
export function restoreCheckpoint(run: Run, dir: string, o: { rng?: boolean; log?: (s: string) => void } = {}): ResumePoint {
  const candidates = [FILES.checkpoint, FILES.previousCheckpoint].map((f) => join(dir, f)).filter((p) => existsSync(p));
  if (!candidates.length) throw new Error(`${dir} has no ${FILES.checkpoint} yet (the run saves one every checkpointEvery steps, when stopped, and at the end)`);
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      const meta = loadCheckpoint(path, { modules: run.method.modules, optimizers: run.method.optimizers }, { rng: o.rng });
      run.method.state = (meta.methodState as Record<string, number>) ?? {};
      if (errors.length) o.log?.(`${errors.join('; ')}; using ${path} (step ${meta.step}) instead`);
      return { step: Number(meta.step ?? 0), seconds: Number(meta.seconds ?? 0) };
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new Error(`no usable checkpoint in ${dir}: ${errors.join('; ')}`);
}

/** After training: final.json, the evaluation samples and the plots. */
export function finishRun(run: Run, dir: string, report: Report | null, extra: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, FILES.final), JSON.stringify({ ...report, ...extra }, null, 2) + '\n');
  if (run.data.shape.kind === 'image') {
    if (report && isDigitReport(report)) writePng(join(dir, FILES.histogram), histogramPanel(report.histogram));
    // A few thousand evaluation images as .npy (the metrics re-draw their own from the checkpoint).
    scope(() => {
      manualSeed(evalSeed(run.config.seed));
      const x = run.method.sample(Math.min(run.config.evalSamples, 2560));
      writeNpy(join(dir, FILES.samplesNpy), x);
    });
    return;
  }
  scope(() => {
    manualSeed(evalSeed(run.config.seed));
    const samples = run.method.sample(run.config.evalSamples);
    writeSamplesCsv(join(dir, FILES.samples), samples);
    if (run.data.shape.kind === 'points' && run.data.shape.dim === 2) writePlots(run, dir, samples);
  });
}

export function writeSamplesCsv(path: string, samples: Tensor): void {
  const [n, d] = samples.shape;
  const v = samples.toNumbers();
  const lines = [Array.from({ length: d }, (_, j) => `x${j}`).join(',')];
  for (let i = 0; i < n; i++) lines.push(v.slice(i * d, (i + 1) * d).map((x) => +x.toPrecision(7)).join(','));
  writeFileSync(path, lines.join('\n') + '\n');
}

function toRows(t: Tensor): number[][] {
  const [n, d] = t.shape;
  const v = t.toNumbers();
  return Array.from({ length: n }, (_, i) => v.slice(i * d, (i + 1) * d));
}

/** Density of data vs generated samples (VEEGAN Fig. 2), and for 2D the critic's heat map. */
export function densityPanels(run: Run, samples: Tensor): { data: Panel; generated: Panel; range: Range } {
  const data = toRows(run.data.sampler.sample(samples.shape[0]));
  const range = squareRange(data, 0.3);
  return { data: densityPanel(data, range), generated: densityPanel(toRows(samples), range), range };
}

function writePlots(run: Run, dir: string, samples: Tensor): void {
  const { data, generated, range } = densityPanels(run, samples);
  writeFigure(join(dir, FILES.density), {
    title: `${run.config.method} on ${run.data.name}, ${run.config.steps} steps, seed ${run.config.seed}`,
    rowLabels: [''],
    colLabels: ['data', 'generated'],
    cells: [[{ panel: data }, { panel: generated }]],
    panelSize: 300,
  });
  const heat = criticHeatmap(run, range, 200);
  if (heat) {
    drawPoints(heat, toRows(samples).slice(0, 500), range, [255, 80, 80], 1);
    if (run.data.target) drawPoints(heat, toRows(run.data.target.means), range, [255, 255, 255], 2);
    writePng(join(dir, FILES.critic), heat);
  }
}

/** The discriminator's score on a grid over `range` (null for joint discriminators). */
export function criticHeatmap(run: Run, [x0, x1, y0, y1]: Range, size: number): Panel | null {
  return scope(() =>
    noGrad(() => {
      const xs = linspace(x0, x1, size);
      const ys = linspace(y1, y0, size); // row 0 at the top
      const grid = stack([xs.view(1, -1).expand(size, size), ys.view(-1, 1).expand(size, size)], 2).reshape(-1, 2);
      const score = run.method.critic(grid);
      return score ? heatPanel(score.toNumbers(), size) : null;
    }),
  );
}

/** A run folder's config.json (an error naming the folder when it is not one). */
export function readRunConfig(dir: string): RunConfigInput {
  const configPath = join(dir, FILES.config);
  if (!existsSync(configPath)) throw new Error(`${dir} is not a run folder: ${FILES.config} is missing`);
  return JSON.parse(readFileSync(configPath, 'utf8')) as RunConfigInput;
}

/**
 * Rebuilds a run from its folder: config.json plus the checkpoint's weights and method state, on
 * config.json's device or `device`.
 */
export function loadRun(dir: string, o: { device?: string } = {}): Run {
  const config = readRunConfig(dir);
  const run = buildRun({ ...config, device: o.device ?? config.device });
  restoreCheckpoint(run, dir, { log: (s) => console.error(`gantry: ${s}`) });
  return run;
}

/** `gantry eval`: the final evaluation again, from the checkpoint, with the same sample seed. */
export function evaluateRun(dir: string, o: { device?: string } = {}): Report | null {
  const run = loadRun(dir, o);
  manualSeed(evalSeed((run.config as RunConfig).seed));
  return run.trainer.evaluate();
}
