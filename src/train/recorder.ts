// Trainer events → the run folder's files: metrics.jsonl (losses every `logEvery` steps, the
// metrics at every evaluation), sample grids and views, curves, checkpoints; and after the last
// step final.json, the evaluation samples and the plots. The trainer never touches files.
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeHtmlReport } from '../report/html.js';
import { writeNpy } from '../data/files.js';
import type { Method } from '../methods/index.js';
import type { Report } from '../metrics/report.js';
import { compactReport, isDigitReport } from '../metrics/report.js';
import { writeRunCurves } from '../report/curves.js';
import { imageGrid } from '../report/images.js';
import { writeModeHistogram, writePointPlots } from '../report/points.js';
import { writePng } from '../report/raster.js';
import { appendChecked, DiskWriteError, cat, gaussian, keep, mulberry32, noGrad, scope, tensor, withSeed, writeFileAtomic, type Tensor } from '../torch/index.js';
import { saveRunCheckpoint, type ResumePoint } from './checkpoints.js';
import type { Run } from './config.js';
import { evaluationSamples } from './load.js';
import { FILES, readMetrics, rewriteMetrics, writeFinal, writeSamplesCsv } from './run-files.js';
import { imageViewWriter, viewWriter } from './views.js';

/**
 * The same 64 latent codes at every evaluation, so the grids show one set of samples evolving.
 * Drawn with a JavaScript PRNG: torch's stream, and so the training, is untouched.
 */
export function fixedNoise(method: Method, n = 64, seed = 20_161_126): Tensor {
  const rng = mulberry32(seed);
  const d = method.protocol.latentDim;
  const v = new Float32Array(n * d);
  for (let i = 0; i < v.length; i++) v[i] = method.protocol.prior === 'uniform' ? 2 * rng() - 1 : gaussian(rng);
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

const writeCurves = (dir: string) => writeRunCurves(readMetrics(dir), { losses: join(dir, FILES.lossCurves), lens: join(dir, FILES.lensCurves) });

/** A run folder being written: its clock, and the checkpoints saved into it. */
export interface Recording {
  /** Seconds trained so far, the resumed part included. */
  seconds(): number;
  /** Saves a checkpoint at `step` (the trainer's checkpoint events come here too). */
  checkpoint(step: number): void;
  /** The step of the last checkpoint known good in the folder (the resumed one, or the last saved), or null. */
  lastGood(): number | null;
}

/**
 * Subscribes the run folder to the trainer's events. Resuming, config.json stays and metrics.jsonl
 * keeps only its lines up to the checkpoint's step, so the finished folder equals an uninterrupted
 * run's (timing fields aside).
 */
export function recordRun(run: Run, dir: string, resume?: ResumePoint, log?: (s: string) => void): Recording {
  mkdirSync(dir, { recursive: true });
  const metricsPath = join(dir, FILES.metrics);
  if (resume) {
    // Lines up to the checkpoint were written before it; the final evaluation's line is written
    // again when the checkpoint is the final one (the run died before final.json).
    rewriteMetrics(dir, readMetrics(dir, log).filter((l) => l.step <= resume.step && l.step < run.config.steps));
  } else {
    writeFileAtomic(join(dir, FILES.config), JSON.stringify(run.config, null, 2) + '\n');
    writeFileAtomic(metricsPath, '');
  }
  const t0 = performance.now() - (resume?.seconds ?? 0) * 1000;
  const seconds = () => +((performance.now() - t0) / 1000).toFixed(2);
  const { steps, evalEvery, logEvery } = run.config;
  const evaluated = (step: number) => step === steps || (evalEvery > 0 && step % evalEvery === 0);
  let lastLosses: Record<string, number> = {};
  run.trainer.on('step', ({ step, losses }) => {
    lastLosses = losses;
    if (logEvery > 0 && step % logEvery === 0 && !evaluated(step)) appendChecked(metricsPath, JSON.stringify({ step, seconds: seconds(), losses }) + '\n');
  });
  const images = run.data.shape.kind === 'image';
  // Methods with other views of real data (the lens): a fixed real batch, drawn on a private stream
  // of the run's seed (the training's randomness is untouched, a resumed run draws the same batch),
  // shown through each view at every evaluation.
  const fixedReal = images ? keep(withSeed(run.config.seed * 7919 + 0x7ea1, () => noGrad(() => run.data.sampler.sample(32)))) : null;
  // A view that cannot be drawn (data at float32's limits, say) never stops the training: it is
  // switched off with a message. A failed write is another matter: it stops the run (nothing lost).
  const guarded = <A extends unknown[]>(write: ((...a: A) => void) | null): ((...a: A) => void) | null => {
    let on = write !== null;
    return (...a: A) => {
      if (!on) return;
      try {
        write!(...a);
      } catch (e) {
        if (e instanceof DiskWriteError) throw e;
        on = false;
        log?.(`the live view is off for this run: ${(e as Error).message.split('\n')[0]}`);
      }
    };
  };
  // Image runs with digit modes: the coverage strip's column and the mode gallery at every evaluation.
  const imageView = run.config.viewEvery > 0 ? guarded(safely(() => imageViewWriter(run, dir), log)) : null;
  run.trainer.on('eval', ({ step, report }) => {
    appendChecked(metricsPath, JSON.stringify({ step, seconds: seconds(), losses: lastLosses, ...compactReport(report) }) + '\n');
    if (images) writeSampleGrid(run.method, join(dir, FILES.grid(step)));
    if (fixedReal) {
      scope(() => {
        for (const [name, view] of Object.entries(run.method.views(fixedReal))) writePng(join(dir, FILES.view(name, step)), imageGrid(cat([fixedReal, view], 0), 8));
      });
    }
    if (report && isDigitReport(report)) imageView?.(step, report);
    writeCurves(dir);
  });
  // The live view's snapshots (points runs): one where training starts, then every viewEvery steps.
  if (run.config.viewEvery > 0) {
    const view = guarded(safely(() => viewWriter(run, dir), log));
    view?.(resume?.step ?? 0);
    run.trainer.on('step', ({ step }) => step % run.config.viewEvery === 0 && view?.(step));
  }
  let lastGood: number | null = resume?.step ?? null;
  const checkpoint = (step: number) => {
    saveRunCheckpoint(run, dir, { step, seconds: seconds() });
    lastGood = step;
  };
  run.trainer.on('checkpoint', ({ step }) => checkpoint(step));
  return { seconds, checkpoint, lastGood: () => lastGood };
}

/** A view writer made by `make`, or null (with a message) when making it fails for a reason other than the disk. */
function safely<W>(make: () => W | null, log?: (s: string) => void): W | null {
  try {
    return make();
  } catch (e) {
    if (e instanceof DiskWriteError) throw e;
    log?.(`the live view is off for this run: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** After training: the evaluation samples and the plots, then final.json, which marks the run finished. */
export function finishRun(run: Run, dir: string, report: Report | null, extra: Record<string, unknown> = {}): void {
  writeOutputs(run, dir, report);
  writeFinal(dir, report, extra);
  // Last, so it shows the finished run (final.json included).
  if (run.config.report) writeHtmlReport(join(dir, FILES.report), dirname(resolve(dir)), [basename(resolve(dir))]);
}

function writeOutputs(run: Run, dir: string, report: Report | null): void {
  if (run.data.shape.kind === 'image') {
    if (report && isDigitReport(report)) {
      writeModeHistogram(join(dir, FILES.histogram), report.histogram, `${run.config.method} on ${run.data.name}, ${run.config.steps} steps, seed ${run.config.seed}: modes of ${report.n} samples`);
    }
    // A few thousand evaluation images as .npy (the metrics re-draw their own from the checkpoint).
    scope(() => writeNpy(join(dir, FILES.samplesNpy), evaluationSamples(run, Math.min(run.config.evalSamples, 2560))));
    return;
  }
  scope(() => {
    const samples = evaluationSamples(run, run.config.evalSamples);
    writeSamplesCsv(join(dir, FILES.samples), samples);
    if (run.data.shape.kind === 'points' && run.data.shape.dim === 2) {
      writePointPlots(
        { density: join(dir, FILES.density), critic: join(dir, FILES.critic) },
        {
          title: `${run.config.method} on ${run.data.name}, ${run.config.steps} steps, seed ${run.config.seed}`,
          samples,
          data: run.data.sampler.sample(samples.shape[0]),
          critic: (x) => run.method.critic(x),
          means: run.data.target?.means,
        },
      );
    }
  });
}
