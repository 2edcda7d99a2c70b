// A run folder's layout and its plain files: config.json, metrics.jsonl, final.json, samples.csv.
// The checkpoints (checkpoints.ts), the recorder that writes as training goes (recorder.ts) and
// loading a finished run (load.ts) all name files through FILES.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../metrics/report.js';
import { writeFileAtomic, type Tensor } from '../torch/index.js';
import type { RunConfigInput } from './config.js';
import { STEP_FILES } from '../report/view-index.js';

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
  grid: STEP_FILES.grid,
  histogram: 'modes-histogram.png',
  /** Real images (top half) and the same images through a method's view, e.g. the lens (bottom half). */
  view: STEP_FILES.view,
  lensCurves: 'lens.png',
  /** The run as one self-contained page (src/report/html.ts). */
  report: 'report.html',
  /** Collapse alarms: one JSON line each (step, rule, message, values). */
  alarms: 'alarms.jsonl',
} as const;

/** One line of metrics.jsonl: losses every logEvery steps, the metrics at every evaluation, events. */
export type MetricsLine = { step: number; seconds?: number; losses?: Record<string, number> } & Record<string, unknown>;

/** A JSON file of a run folder, or an error naming the file and what to do. */
function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`gantry: ${path} is not valid JSON (${(e as Error).message.split('\n')[0]}): ${what}`);
  }
}

/**
 * metrics.jsonl's lines, in order. A last line cut short (the process was killed while appending it)
 * is dropped, said through `log`; a damaged line elsewhere is an error naming the file and the line.
 */
export function readMetrics(dir: string, log?: (s: string) => void): MetricsLine[] {
  const path = join(dir, FILES.metrics);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const out: MetricsLine[] = [];
  lines.forEach((l, i) => {
    if (!l) return;
    try {
      out.push(JSON.parse(l));
    } catch {
      if (i === lines.length - 1) log?.(`${path}: its last line was cut short (a write interrupted), dropped: ${l.slice(0, 40)}…`);
      else throw new Error(`gantry: ${path} line ${i + 1} is not valid JSON (${l.slice(0, 40)}…): remove that line (the checkpoints are separate and intact)`);
    }
  });
  return out;
}

/** metrics.jsonl replaced by `lines`, atomically (a resumed or rolled-back run cuts it back). */
export function rewriteMetrics(dir: string, lines: object[]): void {
  writeFileAtomic(join(dir, FILES.metrics), lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

/** A run folder's config.json (an error naming the folder when it is not one). */
export function readRunConfig(dir: string): RunConfigInput {
  const configPath = join(dir, FILES.config);
  if (!existsSync(configPath)) throw new Error(`${dir} is not a run folder: ${FILES.config} is missing`);
  return readJson(configPath, `restore it from a copy, or rewrite it from another run's ${FILES.config} with the same settings`) as RunConfigInput;
}

/** Whether a run folder holds a finished run (final.json is written last). */
export const isFinished = (dir: string): boolean => existsSync(join(dir, FILES.final));

/** final.json: the last evaluation's report, the training time and what ran. */
export interface FinalRecord {
  report: Report | null;
  seconds: number;
  stepsPerSecond: number;
  steps: number;
}

export function writeFinal(dir: string, report: Report | null, extra: Record<string, unknown>): void {
  writeFileAtomic(join(dir, FILES.final), JSON.stringify({ ...report, ...extra }, null, 2) + '\n');
}

export function readFinal(dir: string): FinalRecord {
  const final = join(dir, FILES.final);
  const { seconds, steps_per_second, method, dataset, seed, steps, ...report } = readJson(final, `delete it and run gantry train --resume ${dir} to write it again from the last checkpoint`) as Record<string, unknown>;
  return { report: Object.keys(report).length ? (report as unknown as Report) : null, seconds: Number(seconds), stepsPerSecond: Number(steps_per_second), steps: Number(steps) };
}

/** Points [n, d] as CSV text with a header x0,x1,… (7 significant digits). */
export function samplesCsv(samples: Tensor): string {
  const [n, d] = samples.shape;
  const v = samples.toNumbers();
  const lines = [Array.from({ length: d }, (_, j) => `x${j}`).join(',')];
  for (let i = 0; i < n; i++) lines.push(v.slice(i * d, (i + 1) * d).map((x) => +x.toPrecision(7)).join(','));
  return lines.join('\n') + '\n';
}

export function writeSamplesCsv(path: string, samples: Tensor): void {
  writeFileAtomic(path, samplesCsv(samples));
}
