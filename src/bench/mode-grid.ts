// `gantry bench mode-grid`: Mode-regularized GAN's Figure 3 (Che et al. 2017, papers/001). The same
// grid of hyperparameter settings is trained once per method with the same seed, and the
// distribution of MODE scores over the grid is compared: a regularizer that stabilises training
// moves the histogram to the right and narrows it. The paper's own ranges are not in its text; the
// grid here is documented in docs/PROTOCOLS.md and printed with the table:
//   learning rate of G and D  × Adam β1  × networks (D = ¼G or ½G)  × batch size.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDatasetName } from '../data/images.js';
import { expandVariants } from '../methods/index.js';
import { imageMetrics } from '../metrics/image-metrics.js';
import { histogram, writeHistogram } from '../report/chart.js';
import { BenchStopped, type Job } from '../sweep/pool.js';
import { runBenchJobs } from '../sweep/bench-queue.js';
import { useDevice } from '../torch/index.js';
import { sampleRun } from '../train/load.js';
import { meanStd, row, writeTable } from '../report/table.js';
import { BENCH_VIEWS, runFoldersUnder, writeHtmlReport } from '../report/html.js';

/** One hyperparameter setting of the grid: protocol overrides on top of the small-d preset. */
export interface GridSetting {
  label: string;
  protocol: { lr: number; beta1: number; nets: string; batchSize: number };
}

/** The documented grid: 3 learning rates × 2 β1 × 2 networks × 2 batch sizes = 24 settings. */
export const MODE_GRID = {
  lr: [5e-5, 2e-4, 1e-3],
  beta1: [0.5, 0.9],
  nets: ['small-d-quarter', 'small-d-half'],
  batchSize: [64, 128],
} as const;

export function gridSettings(): GridSetting[] {
  const out: GridSetting[] = [];
  for (const lr of MODE_GRID.lr)
    for (const beta1 of MODE_GRID.beta1)
      for (const nets of MODE_GRID.nets)
        for (const batchSize of MODE_GRID.batchSize) {
          out.push({ label: `lr ${lr}, β1 ${beta1}, ${nets}, batch ${batchSize}`, protocol: { lr, beta1, nets, batchSize } });
        }
  return out;
}

export interface ModeGridOptions {
  /** Train the jobs through this queue (redis://host:port) on `gantry worker`s instead of this machine's pool. */
  queue?: string;
  /** Methods (variants allowed) trained on every setting: the baseline first, then the regularized ones. */
  methods: string[];
  dataset: ImageDatasetName;
  steps: number;
  seed: number;
  /** Samples for the MODE score of each run. */
  samples: number;
  /** Run only the first n settings (all 24 by default). */
  settings?: number;
  /** Keep finished runs, continue stopped ones (`--resume`). */
  resume?: boolean;
  /** Where every run's tensors live (cpu, cuda, cuda:N; default cpu). */
  device?: string;
  workers: number;
  out: string;
}

export interface ModeGridRow {
  setting: string;
  /** MODE score per method label; null where the run failed. */
  mode: Record<string, number | null>;
  /** Digit modes captured per method label. */
  modes: Record<string, number | null>;
}

export async function benchModeGrid(o: ModeGridOptions, log: (s: string) => void): Promise<{ rows: ModeGridRow[]; real: number }> {
  const variants = expandVariants(o.methods);
  const settings = gridSettings().slice(0, o.settings ?? undefined);
  const device = useDevice(o.device ?? 'cpu');
  mkdirSync(o.out, { recursive: true });
  const jobs: (Job & { setting: number; method: string })[] = [];
  settings.forEach((s, i) => {
    for (const v of variants) {
      jobs.push({
        setting: i,
        method: v.label,
        config: {
          method: v.id,
          methodOptions: v.options,
          dataset: { name: o.dataset },
          preset: 'small-d-quarter',
          // One learning rate and one β1 for both networks: the preset's per-network ones are replaced.
          protocol: { ...s.protocol, lrG: s.protocol.lr, lrD: s.protocol.lr, betasG: [s.protocol.beta1, 0.999], betasD: [s.protocol.beta1, 0.999] },
          steps: o.steps,
          seed: o.seed,
          evalEvery: 0,
          evalSamples: Math.min(o.samples, 2560),
          checkpointEvery: 5000,
          ...BENCH_VIEWS(o.steps),
          device,
        },
        dir: join(o.out, 'runs', `setting-${String(i + 1).padStart(2, '0')}`, v.label),
      });
    }
  });
  const rows: ModeGridRow[] = settings.map((s) => ({ setting: s.label, mode: {}, modes: {} }));
  const ok: typeof jobs = [];
  let done = 0;
  const t0 = performance.now();
  const stopped = await runBenchJobs(jobs, o, (job, result) => {
    done++;
    const setting = rows[job.setting];
    if (result instanceof Error) {
      setting.mode[job.method] = null;
      setting.modes[job.method] = null;
      log(`[${done}/${jobs.length}] setting ${job.setting + 1}, ${job.method}: FAILED: ${result.message}`);
      return;
    }
    setting.modes[job.method] = (result.report as { modes: number } | null)?.modes ?? null;
    ok.push(job);
    log(`[${done}/${jobs.length}] setting ${job.setting + 1} (${settings[job.setting].label}), ${job.method}: ${setting.modes[job.method]} digit modes, ${result.stepsPerSecond.toFixed(1)} steps/s`);
  });
  if (stopped) throw new BenchStopped(stopped);
  log(`MODE scores on ${o.samples.toLocaleString('en')} samples of each of ${ok.length} runs…`);
  const scored = imageMetrics(
    o.dataset,
    ok.map((j) => ({
      label: `${j.method} ${j.setting}`,
      images: () => sampleRun(j.dir, o.samples),
    })),
    { metrics: ['mode'], n: o.samples },
  );
  const key = Object.keys(scored.rows[0].values).find((k) => k.startsWith('MODE'))!;
  ok.forEach((j, i) => (rows[j.setting].mode[j.method] = scored.rows[i].values[key]));
  const real = scored.rows[scored.rows.length - 1].values[key];
  const wall = (performance.now() - t0) / 1000;

  const labels = variants.map((v) => v.label);
  const scores = (m: string) => rows.map((r) => r.mode[m]).filter((v): v is number => v !== null && v !== undefined);
  const edges = Array.from({ length: 11 }, (_, i) => i);
  const table = [
    `${key} over ${settings.length} settings (${o.dataset}, ${o.steps.toLocaleString('en')} generator iterations each, seed ${o.seed} for every run, ${o.samples.toLocaleString('en')} samples per score; real data ${real.toFixed(2)}).`,
    `Grid: learning rate (G and D) ${MODE_GRID.lr.join(', ')} × Adam β1 ${MODE_GRID.beta1.join(', ')} (β2 0.999) × networks ${MODE_GRID.nets.join(', ')} × batch ${MODE_GRID.batchSize.join(', ')}; z 256 ~ N(0, 1).`,
    '',
    row(['method', 'MODE (mean ± std over settings)', 'median', 'min', 'max', 'settings ≥ 8', 'settings < 3', 'digit modes (mean)']),
    row(Array(8).fill('---')),
    ...labels.map((m) => {
      const s = scores(m).sort((a, b) => a - b);
      const modes = rows.map((r) => r.modes[m]).filter((v): v is number => typeof v === 'number');
      return row([
        m + (s.length < rows.length ? ` (${rows.length - s.length} failed)` : ''),
        meanStd(s, 2),
        s.length ? s[Math.floor(s.length / 2)].toFixed(2) : '—',
        s.length ? s[0].toFixed(2) : '—',
        s.length ? s[s.length - 1].toFixed(2) : '—',
        String(s.filter((v) => v >= 8).length),
        String(s.filter((v) => v < 3).length),
        modes.length ? (modes.reduce((a, b) => a + b, 0) / modes.length).toFixed(1) : '—',
      ]);
    }),
    '',
    `Histogram (${key}, bins of 1):`,
    '',
    row(['method', ...edges.slice(0, -1).map((e) => `${e}–${e + 1}`)]),
    row(Array(edges.length).fill('---')),
    ...labels.map((m) => row([m, ...histogram(scores(m), edges)])),
    '',
    'Per setting:',
    '',
    row(['#', 'setting', ...labels]),
    row(Array(labels.length + 2).fill('---')),
    ...rows.map((r, i) => row([i + 1, r.setting, ...labels.map((m) => (typeof r.mode[m] === 'number' ? r.mode[m]!.toFixed(2) : 'failed'))])),
  ].join('\n');
  writeFileSync(join(o.out, 'table.json'), JSON.stringify({ options: o, grid: MODE_GRID, metric: key, real, wall_seconds: +wall.toFixed(1), rows }, null, 2) + '\n');
  writeHistogram(join(o.out, 'mode-histogram.png'), {
    title: `${key} over ${settings.length} settings, ${o.steps} iterations`,
    xLabel: key,
    edges,
    series: labels.map((m) => ({ label: m, values: scores(m) })),
  });
  writeHtmlReport(join(o.out, 'report.html'), o.out, runFoldersUnder(o.out));
  writeTable(o.out, table, { wall, workers: o.workers, cellConfig: join(o.out, 'runs', 'setting-<nn>', '<method>', 'config.json') }, log);
  return { rows, real };
}
