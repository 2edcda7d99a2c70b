// `gantry bench images`: every method × seed on Stacked-MNIST (or another MNIST-family set) under an
// image preset, in the local worker pool. Prints the table the papers print (modes, KL), beside the
// two stricter counts the counting classifier's errors call for, with a real-data row (held-out
// test digits through the same count, at the same sample size); writes it as markdown and JSON,
// a mosaic of final sample grids (methods × seeds) and modes/KL against iterations.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { loadDataset, type DatasetName } from '../data/index.js';
import { expandVariants } from '../methods/index.js';
import type { DigitModeReport } from '../metrics/digits.js';
import { evaluateSamples } from '../metrics/evaluate.js';
import { imageMetrics, type ImageMetric } from '../metrics/image-metrics.js';
import type { ImageDatasetName } from '../data/images.js';
import { sampleRun } from '../train/load.js';
import { writeCharts, type Series } from '../report/chart.js';
import { writeFigure, type FigureCell } from '../report/figure.js';
import type { Panel } from '../report/raster.js';
import { BenchStopped, type Job } from '../sweep/pool.js';
import { runBenchJobs } from '../sweep/bench-queue.js';
import { manualSeed, useDevice } from '../torch/index.js';
import { getPreset } from '../train/presets.js';
import type { RunResult } from '../train/run.js';
import { meanStd, row, writeTable } from '../report/table.js';
import { BENCH_VIEWS, runFoldersUnder, writeHtmlReport } from '../report/html.js';

export interface ImageBenchOptions {
  /** Train the jobs through this queue (redis://host:port) on `gantry worker`s instead of this machine's pool. */
  queue?: string;
  methods: string[];
  dataset: DatasetName;
  preset: string;
  seeds: number;
  /** Generator iterations per run (default: the preset's published budget). */
  steps?: number;
  /** Evaluations during training (for the trend plot), besides the final one. */
  evaluations: number;
  /** Samples counted per evaluation (default: the preset's). */
  samples?: number;
  out: string;
  workers: number;
  /** Image metrics computed on every finished run's generator (FID-MNIST-CNN, …); none: []. */
  metrics?: ImageMetric[];
  /** Samples those metrics use per run (and for the real-data row): at most this many (default 10,000). */
  metricSamples?: number;
  /** KID's subset size (default 1000, at most the metric samples). */
  kidSubsetSize?: number;
  /** Keep finished runs, continue stopped ones (`--resume`). */
  resume?: boolean;
  /** Where every run's tensors live (cpu, cuda, cuda:N; default cpu). */
  device?: string;
  /** Networks instead of the preset's (its optimizers, batch and prior stay). */
  nets?: string;
}

interface RunRow {
  seed: number;
  report: DigitModeReport | null;
  /** The image metrics of this run's generator, by name. */
  metrics?: Record<string, number>;
  seconds: number;
  stepsPerSecond: number;
  error?: string;
}
export interface ImageCell {
  method: string;
  runs: RunRow[];
}

const stat = (rows: RunRow[], f: (r: DigitModeReport) => number, digits = 1) => meanStd(rows.filter((r) => r.report).map((r) => f(r.report!)), digits);

export function imageTable(cells: ImageCell[], real: DigitModeReport | null, o: ImageBenchOptions & { steps: number; samples: number }): string {
  const head = ['method', `modes (max ${real?.modes_max ?? 1000})`, 'KL', `modes, confident ≥ ${real?.confidence ?? 0.99}`, 'confident samples', 'modes with ≥ 2 samples', 'steps/s'];
  const rows = cells.map((c) => {
    const failed = c.runs.filter((r) => !r.report).length;
    const ok = c.runs.filter((r) => r.report);
    return [
      c.method + (failed ? ` (${failed} failed)` : ''),
      stat(c.runs, (r) => r.modes),
      stat(c.runs, (r) => r.kl, 2),
      stat(c.runs, (r) => r.modes_confident),
      stat(c.runs, (r) => r.confident_samples, 0),
      stat(c.runs, (r) => r.modes_2plus),
      ok.length ? (ok.reduce((a, r) => a + r.stepsPerSecond, 0) / ok.length).toFixed(1) : '—',
    ];
  });
  if (real) rows.push(['**real data** (held-out test digits)', String(real.modes), real.kl.toFixed(2), String(real.modes_confident), String(real.confident_samples), String(real.modes_2plus), '—']);
  return [
    `${o.dataset}, preset ${o.preset}${o.nets ? ` with the ${o.nets} networks` : ''}: ${o.steps.toLocaleString('en')} generator iterations per run (the preset's published budget is ${getPreset(o.preset).steps.toLocaleString('en')}), ` +
      `mean ± std over ${o.seeds} seed${o.seeds > 1 ? 's' : ''}; ${o.samples.toLocaleString('en')} samples counted per run by the committed MNIST classifier.`,
    '',
    row(head),
    row(head.map(() => '---')),
    ...rows.map(row),
  ].join('\n');
}

function readPng(path: string): Panel | null {
  if (!existsSync(path)) return null;
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
}

export async function benchImages(o: ImageBenchOptions, log: (s: string) => void): Promise<{ cells: ImageCell[]; real: DigitModeReport | null }> {
  const preset = getPreset(o.preset);
  const device = useDevice(o.device ?? 'cpu');
  const steps = o.steps ?? preset.steps;
  const samples = o.samples ?? preset.evalSamples;
  const evalEvery = o.evaluations > 0 ? Math.max(1, Math.floor(steps / (o.evaluations + 1))) : 0;
  const variants = expandVariants(o.methods);
  mkdirSync(o.out, { recursive: true });
  const cells: ImageCell[] = [];
  const jobs: (Job & { cell: ImageCell; seed: number })[] = [];
  for (const variant of variants) {
    const cell: ImageCell = { method: variant.label, runs: [] };
    cells.push(cell);
    for (let seed = 1; seed <= o.seeds; seed++) {
      jobs.push({
        cell,
        seed,
        config: { method: variant.id, methodOptions: variant.options, dataset: { name: o.dataset }, preset: o.preset, protocol: o.nets ? { nets: o.nets } : {}, steps, seed, evalEvery, evalSamples: samples, checkpointEvery: 5000, device, ...BENCH_VIEWS(steps) },
        dir: join(o.out, 'runs', variant.label, `seed-${seed}`),
      });
    }
  }
  // The real-data row: held-out digits through the same count at the same sample size.
  manualSeed(0);
  const data = loadDataset({ name: o.dataset, ...preset.dataset });
  const held = data.heldOut?.();
  const real = held ? (evaluateSamples(data, (k) => held.sample(k), samples) as DigitModeReport | null) : null;
  if (real) log(`real data (held-out): ${real.modes}/${real.modes_max} modes, KL ${real.kl.toFixed(3)}, ${real.modes_confident} confident modes (n = ${real.n})`);
  let done = 0;
  const t0 = performance.now();
  const stopped = await runBenchJobs(jobs, o, (job, result) => {
    done++;
    if (result instanceof Error) {
      job.cell.runs.push({ seed: job.seed, report: null, seconds: 0, stepsPerSecond: 0, error: result.message });
      log(`[${done}/${jobs.length}] ${job.cell.method}, seed ${job.seed}: FAILED: ${result.message}`);
      return;
    }
    const r = result as RunResult;
    const rep = r.report as DigitModeReport;
    job.cell.runs.push({ seed: job.seed, report: rep, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond });
    log(`[${done}/${jobs.length}] ${job.cell.method}, seed ${job.seed}: ${rep.modes} modes, KL ${rep.kl.toFixed(2)}, ${rep.modes_confident} confident, ${r.stepsPerSecond.toFixed(1)} steps/s`);
  });
  if (stopped) throw new BenchStopped(stopped);
  for (const c of cells) c.runs.sort((a, b) => a.seed - b.seed);
  const metricN = Math.min(samples, o.metricSamples ?? 10_000);
  const realMetrics = o.metrics?.length ? scoreRuns(o.dataset as ImageDatasetName, jobs, o.metrics, metricN, log, o.kidSubsetSize) : null;
  const wall = (performance.now() - t0) / 1000;
  let table = imageTable(cells, real, { ...o, steps, samples });
  if (realMetrics) table += `\n\n${metricsTable(cells, realMetrics, metricN)}`;
  const compact = (r: DigitModeReport | null) => r && { ...r, histogram: undefined, missing_count: r.missing.length, missing: r.missing.length <= 50 ? r.missing : undefined };
  writeFileSync(
    join(o.out, 'table.json'),
    JSON.stringify({ options: { ...o, steps, samples, evalEvery }, wall_seconds: +wall.toFixed(1), real: compact(real), real_metrics: realMetrics, metric_samples: realMetrics ? metricN : undefined, cells: cells.map((c) => ({ method: c.method, runs: c.runs.map((r) => ({ ...r, report: compact(r.report) })) })) }, null, 2) + '\n',
  );
  writeMosaic(cells, o, steps);
  writeTrend(cells, o);
  writeHtmlReport(join(o.out, 'report.html'), o.out, runFoldersUnder(o.out));
  writeTable(o.out, table, { wall, workers: o.workers, cellConfig: join(o.out, 'runs', '<method>', 'seed-<n>', 'config.json') }, log);
  return { cells, real };
}

/**
 * The image metrics of every finished run's generator (its final weights, the final evaluation's
 * seed), one run loaded at a time, then the real-data row; returns the real-data row's values.
 */
function scoreRuns(
  dataset: ImageDatasetName,
  jobs: { cell: ImageCell; seed: number; dir: string }[],
  metrics: ImageMetric[],
  n: number,
  log: (s: string) => void,
  kidSubsetSize?: number,
): Record<string, number> {
  const done = jobs.filter((j) => j.cell.runs.find((r) => r.seed === j.seed)?.report);
  log(`image metrics (${metrics.join(', ')}) on ${n.toLocaleString('en')} samples of each of ${done.length} runs, and the real-data row…`);
  const result = imageMetrics(
    dataset,
    done.map((j) => ({
      label: `${j.cell.method} seed ${j.seed}`,
      images: () => sampleRun(j.dir, n),
    })),
    { metrics: metrics.filter((m) => m !== 'modes' && m !== 'ivom' && m !== 'noisy-d'), n, kid: { subsetSize: kidSubsetSize } },
  );
  done.forEach((j, i) => {
    const entry = j.cell.runs.find((r) => r.seed === j.seed)!;
    entry.metrics = result.rows[i].values;
  });
  return result.rows[result.rows.length - 1].values;
}

/** Mean ± std over seeds of each image metric, with the real-data row. */
export function metricsTable(cells: ImageCell[], real: Record<string, number>, n: number): string {
  const cols = Object.keys(real).filter((c) => !c.endsWith(' std'));
  const digits = (c: string) => (/^(FID|KID)/.test(c) ? 1 : /^(IS|MODE)/.test(c) ? 2 : 3);
  const rows = cells.map((c) => [c.method, ...cols.map((k) => meanStd(c.runs.filter((r) => r.metrics?.[k] !== undefined).map((r) => r.metrics![k]), digits(k)))]);
  rows.push(['**real data** (held-out test digits)', ...cols.map((k) => real[k].toFixed(digits(k)))]);
  return [
    `Image metrics on ${n.toLocaleString('en')} samples per run against ${n.toLocaleString('en')} training images (the classifier's features; mean ± std over seeds):`,
    '',
    row(['method', ...cols]),
    row(['---', ...cols.map(() => '---')]),
    ...rows.map(row),
  ].join('\n');
}

/** The final sample grid of every run: methods × seeds. */
function writeMosaic(cells: ImageCell[], o: ImageBenchOptions, steps: number): void {
  const grid: FigureCell[][] = cells.map((c) =>
    Array.from({ length: o.seeds }, (_, i) => {
      const run = c.runs.find((r) => r.seed === i + 1);
      const panel = readPng(join(o.out, 'runs', c.method, `seed-${i + 1}`, `samples-step${String(steps).padStart(7, '0')}.png`));
      return { panel, caption: run?.report ? `${run.report.modes} modes, KL ${run.report.kl.toFixed(2)}` : 'failed' };
    }),
  );
  writeFigure(join(o.out, 'samples-mosaic.png'), {
    title: `${o.dataset}, ${o.preset}, ${steps} iterations: samples from fixed z`,
    rowLabels: cells.map((c) => c.method),
    colLabels: Array.from({ length: o.seeds }, (_, i) => `seed ${i + 1}`),
    cells: grid,
    panelSize: 200,
  });
}

/** Modes and KL against iterations (mean over seeds), from each run's metrics.jsonl. */
function writeTrend(cells: ImageCell[], o: ImageBenchOptions): void {
  const series = (key: 'modes' | 'kl' | 'modes_confident'): Series[] =>
    cells.map((c) => {
      const byStep = new Map<number, number[]>();
      for (let seed = 1; seed <= o.seeds; seed++) {
        const path = join(o.out, 'runs', c.method, `seed-${seed}`, 'metrics.jsonl');
        if (!existsSync(path)) continue;
        for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
          const m = JSON.parse(line) as Record<string, number>;
          if (typeof m[key] === 'number') byStep.set(m.step, [...(byStep.get(m.step) ?? []), m[key]]);
        }
      }
      return { label: c.method, points: [...byStep].map(([s, v]) => [s, v.reduce((a, b) => a + b, 0) / v.length] as [number, number]) };
    });
  writeCharts(
    join(o.out, 'modes-vs-iterations.png'),
    [
      { title: 'modes', yLabel: 'modes', series: series('modes') },
      { title: 'KL to uniform', yLabel: 'KL (nats)', series: series('kl') },
      { title: 'modes from confident samples', yLabel: 'modes', series: series('modes_confident') },
    ],
    'generator iterations',
  );
}
