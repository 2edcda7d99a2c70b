// `gantry bench synthetic`: every method × dataset × seed under the pinned protocol, in a local
// worker pool; prints VEEGAN's Table 1 with our numbers (mean ± std over seeds), writes it as
// markdown and JSON, and one PNG grid of density plots (methods × datasets, first seed).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, readCsv } from '../data/index.js';
import { expandVariants } from '../methods/index.js';
import { assignModes, type ModeReport } from '../metrics/modes.js';
import { histogramPanel } from '../report/images.js';
import { writeFigure, type FigureCell } from '../report/figure.js';
import { densityPanel, squareRange } from '../report/raster.js';
import { mean, meanStd, row, std, writeTable } from '../report/table.js';
import { BENCH_VIEWS, runFoldersUnder, writeHtmlReport } from '../report/html.js';
import { BenchStopped, type Job } from '../sweep/pool.js';
import { runBenchJobs } from '../sweep/bench-queue.js';
import { manualSeed, scope, tensor, useDevice } from '../torch/index.js';
import type { RunResult } from '../train/run.js';

export interface SyntheticBenchOptions {
  /** Train the jobs through this queue (redis://host:port) on `gantry worker`s instead of this machine's pool. */
  queue?: string;
  /** Method ids, or variants with fixed hyperparameters (`wgan-gp:lambda=10`); rows keep these labels. */
  methods: string[];
  /** Keep finished runs, continue stopped ones (`--resume`). */
  resume?: boolean;
  /** Where every run's tensors live (cpu, cuda, cuda:N; default cpu). */
  device?: string;
  datasets: string[];
  seeds: number;
  steps: number;
  out: string;
  workers: number;
  evalEvery?: number;
  /** Per-dataset step budgets overriding `steps` (the 1200-D set is slower per step). */
  stepsFor?: Record<string, number>;
  /** Protocol overrides applied to every run (e.g. { ema: 0.999 }). */
  protocol?: Record<string, number>;
}

export interface Cell {
  method: string;
  dataset: string;
  runs: { seed: number; report: ModeReport | null; seconds: number; stepsPerSecond: number; error?: string }[];
}

export function summarize(cell: Cell) {
  const ok = cell.runs.filter((r) => r.report);
  const kls = ok.map((r) => r.report!.reverse_kl).filter((v): v is number => v !== null);
  return {
    method: cell.method,
    dataset: cell.dataset,
    seeds: cell.runs.length,
    failed: cell.runs.length - ok.length,
    modes_max: ok[0]?.report!.modes_max ?? null,
    modes_mean: ok.length ? mean(ok.map((r) => r.report!.modes)) : null,
    modes_std: ok.length ? std(ok.map((r) => r.report!.modes)) : null,
    high_quality_mean: ok.length ? mean(ok.map((r) => r.report!.high_quality)) : null,
    high_quality_std: ok.length ? std(ok.map((r) => r.report!.high_quality)) : null,
    reverse_kl_mean: kls.length ? mean(kls) : null,
    reverse_kl_std: kls.length ? std(kls) : null,
    runs_without_hq_samples: ok.length - kls.length,
    steps_per_second: ok.length ? mean(ok.map((r) => r.stepsPerSecond)) : null,
    n: ok[0]?.report!.n ?? null,
  };
}

export function markdownTable(cells: Cell[], o: SyntheticBenchOptions): string {
  const methods = [...new Set(cells.map((c) => c.method))];
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  const find = (m: string, d: string) => cells.find((c) => c.method === m && c.dataset === d);
  const head = ['method', ...datasets.flatMap((d) => {
    const max = find(methods[0], d)?.runs.find((r) => r.report)?.report?.modes_max ?? '?';
    return [`${d} modes (max ${max})`, `${d} % HQ`, `${d} rev. KL`];
  }), 'steps/s'];
  const rows = methods.map((m) => {
    const sps: number[] = [];
    const cols = datasets.flatMap((d) => {
      const c = find(m, d);
      if (!c) return ['—', '—', '—'];
      const ok = c.runs.filter((r) => r.report);
      sps.push(...ok.map((r) => r.stepsPerSecond));
      const kls = ok.map((r) => r.report!.reverse_kl).filter((v): v is number => v !== null);
      const failed = c.runs.length - ok.length;
      return [
        meanStd(ok.map((r) => r.report!.modes)) + (failed ? ` (${failed} failed)` : ''),
        meanStd(ok.map((r) => 100 * r.report!.high_quality)),
        kls.length ? meanStd(kls, 2) + (kls.length < ok.length ? ` (${ok.length - kls.length} with no HQ)` : '') : 'n/a',
      ];
    });
    return [m, ...cols, sps.length ? mean(sps).toFixed(0) : '—'];
  });
  const seedsNote = `${o.seeds} seed${o.seeds > 1 ? 's' : ''}`;
  const steps = datasets.map((d) => `${d}: ${o.stepsFor?.[d] ?? o.steps}`).join(', ') + (o.protocol && Object.keys(o.protocol).length ? `; protocol overrides ${JSON.stringify(o.protocol)}` : '');
  return [
    `Synthetic mode-collapse benchmark (pinned protocol, docs/PROTOCOLS.md). mean ± std over ${seedsNote}; steps ${steps}; ` +
      `${cells[0]?.runs.find((r) => r.report)?.report?.n ?? '?'} generated samples per evaluation.`,
    '',
    row(head),
    row(head.map(() => '---')),
    ...rows.map(row),
  ].join('\n');
}

export async function benchSynthetic(o: SyntheticBenchOptions, log: (s: string) => void): Promise<Cell[]> {
  // Variants are checked before anything is written or trained; a repeated one would share run folders.
  const variants = expandVariants(o.methods);
  const device = useDevice(o.device ?? 'cpu');
  mkdirSync(o.out, { recursive: true });
  const jobs: (Job & { cell: Cell })[] = [];
  const cells: Cell[] = [];
  for (const dataset of o.datasets) {
    for (const variant of variants) {
      const cell: Cell = { method: variant.label, dataset, runs: [] };
      cells.push(cell);
      for (let seed = 1; seed <= o.seeds; seed++) {
        const steps = o.stepsFor?.[dataset] ?? o.steps;
        jobs.push({
          cell,
          config: { method: variant.id, methodOptions: variant.options, dataset: { name: dataset as 'ring' }, steps, seed, evalEvery: o.evalEvery ?? 0, checkpointEvery: 5000, protocol: o.protocol ?? {}, device, ...BENCH_VIEWS(steps) },
          dir: join(o.out, 'runs', dataset, variant.label, `seed-${seed}`),
        });
      }
    }
  }
  let done = 0;
  const t0 = performance.now();
  const stopped = await runBenchJobs(jobs, o, (job, result) => {
    done++;
    const cell = job.cell;
    const seed = job.config.seed!;
    if (result instanceof Error) {
      cell.runs.push({ seed, report: null, seconds: 0, stepsPerSecond: 0, error: result.message });
      log(`[${done}/${jobs.length}] ${cell.method} on ${cell.dataset}, seed ${seed}: FAILED: ${result.message}`);
    } else {
      const r = result as RunResult;
      cell.runs.push({ seed, report: r.report as ModeReport, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond });
      const rep = r.report as ModeReport;
      log(`[${done}/${jobs.length}] ${cell.method} on ${cell.dataset}, seed ${seed}: ${rep.modes}/${rep.modes_max} modes, ${(100 * rep.high_quality).toFixed(1)}% HQ, ${r.stepsPerSecond.toFixed(0)} steps/s`);
    }
  });
  if (stopped) throw new BenchStopped(stopped);
  for (const c of cells) c.runs.sort((a, b) => a.seed - b.seed);
  const wall = (performance.now() - t0) / 1000;
  const table = markdownTable(cells, o);
  writeFileSync(join(o.out, 'table.json'), JSON.stringify({ options: o, wall_seconds: +wall.toFixed(1), rows: cells.map(summarize), cells }, null, 2) + '\n');
  writeGrid(cells, o);
  writeModeShares(cells, o);
  writeHtmlReport(join(o.out, 'report.html'), o.out, runFoldersUnder(o.out));
  writeTable(o.out, table, { wall, workers: o.workers, cellConfig: join(o.out, 'runs', '<dataset>', '<method>', 'seed-<n>', 'config.json') }, log);
  return cells;
}

/** methods × datasets density plots of each cell's first seed (2D datasets only). */
function writeGrid(cells: Cell[], o: SyntheticBenchOptions): void {
  const datasets = o.datasets.filter((d) => d !== 'highdim');
  if (!datasets.length) return;
  scope(() => {
    const cols: string[] = [];
    const columns = datasets.map((d) => {
      manualSeed(0);
      const data = loadDataset({ name: d as 'ring' });
      const pts = data.sampler.sample(2500).toNumbers();
      const rows = Array.from({ length: pts.length / 2 }, (_, i) => [pts[2 * i], pts[2 * i + 1]]);
      cols.push(d);
      return { d, range: squareRange(rows, 0.3), rows };
    });
    const rowLabels = ['data', ...new Set(cells.map((c) => c.method))];
    const cellsGrid: FigureCell[][] = rowLabels.map((m) =>
      columns.map(({ d, range, rows }) => {
        if (m === 'data') return { panel: densityPanel(rows, range), caption: `${d} (true)`, range };
        const dir = join(o.out, 'runs', d, m, 'seed-1');
        const cell = cells.find((c) => c.method === m && c.dataset === d);
        const rep = cell?.runs[0]?.report;
        if (!existsSync(join(dir, 'samples.csv')) || !rep) return { panel: null, caption: 'failed' };
        return { panel: densityPanel(readCsv(join(dir, 'samples.csv')), range), caption: `${rep.modes}/${rep.modes_max} modes, ${(100 * rep.high_quality).toFixed(0)}% HQ`, range };
      }),
    );
    writeFigure(join(o.out, 'density-grid.png'), { title: 'Generated densities (seed 1)', rowLabels, colLabels: cols, cells: cellsGrid });
  });
}

/**
 * methods × datasets bars of each cell's first seed: high-quality samples per mode, so a collapse
 * reads as one bar among empty (red) ones, on any dimension (the 1200-D mixture included).
 */
function writeModeShares(cells: Cell[], o: SyntheticBenchOptions): void {
  scope(() => {
    const targets = o.datasets.map((d) => loadDataset({ name: d as 'ring' }).target!);
    const methods = [...new Set(cells.map((c) => c.method))];
    const grid: FigureCell[][] = methods.map((m) =>
      o.datasets.map((d, j) => {
        const path = join(o.out, 'runs', d, m, 'seed-1', 'samples.csv');
        const rep = cells.find((c) => c.method === m && c.dataset === d)?.runs[0]?.report;
        if (!existsSync(path) || !rep) return { panel: null, caption: 'failed' };
        const target = targets[j];
        const { nearest, highQuality } = assignModes(tensor(readCsv(path)), target);
        const counts = new Array(target.weights.length).fill(0);
        nearest.forEach((k, i) => highQuality[i] && counts[k]++);
        return { panel: histogramPanel(counts, 160, Math.max(1, Math.floor(160 / counts.length) - 1)), caption: `${rep.modes}/${rep.modes_max} modes, ${(100 * rep.high_quality).toFixed(0)}% HQ` };
      }),
    );
    writeFigure(join(o.out, 'mode-shares.png'), { title: 'High-quality samples per mode (seed 1; red: no sample)', rowLabels: methods, colLabels: o.datasets, cells: grid });
  });
}
