// `npm run perf:second-opinion`: where a result disagrees with a paper, the same runs trained in
// PyTorch (perf/reference/train.py, the update the parity test checks against gantry's) from the
// same initial weights, with PyTorch's own random stream, and scored by gantry's metrics; with
// --with-gantry, gantry's own runs of the same configurations on this machine beside them
// (`gantry bench images`, same seeds). If both collapse alike, the collapse is the method at this
// budget, not a defect of gantry's engine, data or loop.
//
//   npm run perf:second-opinion -- --dataset stacked-mnist --preset small-d-quarter --methods nsgan,ivgan --seeds 3 --steps 1000 --with-gantry
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInt } from './options.js';
import { writeCase } from './reference/describe.js';
import { modulesState } from '../src/nn/index.js';
import { benchImages, type ImageCell } from '../src/bench/images.js';
import { loadDataset, type DatasetName } from '../src/data/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { expandVariants } from '../src/methods/index.js';
import type { DigitModeReport } from '../src/metrics/digits.js';
import { evaluateSamples } from '../src/metrics/evaluate.js';
import { imageMetrics, type ImageMetric } from '../src/metrics/image-metrics.js';
import type { ImageDatasetName } from '../src/data/images.js';
import { meanStd } from '../src/report/table.js';
import { cpuKind, keep, safetensors, type Tensor } from '../src/torch/index.js';
import { buildRun, disposeRun } from '../src/train/config.js';
import { getPreset } from '../src/train/presets.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const program = new Command('perf:second-opinion')
  .description('the same image runs trained in PyTorch from the same initial weights, scored by gantry (and gantry beside them)')
  .option('--dataset <name>', 'stacked-mnist or mnist', 'stacked-mnist')
  .option('--preset <name>', "gantry's preset (networks, optimizers, batch)", 'small-d-quarter')
  .option('--nets <family>', "networks instead of the preset's")
  .requiredOption('--methods <list>', 'comma-separated method variants, as gantry bench takes them (lens-gan:lensWidth=16)')
  .option('--seeds <n>', 'seeds 1..n', positiveInt('--seeds'), 3)
  .option('--steps <n>', 'generator iterations per run', positiveInt('--steps'), 1000)
  .option('--samples <n>', 'samples counted per run', positiveInt('--samples'), 10000)
  .option('--metrics <list>', 'image metrics besides the mode count (fid,is,mode,...), or none', 'none')
  .option('--metric-samples <n>', 'samples those metrics use', positiveInt('--metric-samples'), 10000)
  .option('--workers <n>', 'runs at once (1 thread each)', positiveInt('--workers'), 2)
  .option('--with-gantry', "also train gantry's runs of the same configurations here (gantry bench images)")
  .option('--out <dir>', 'where the case folders and the table go', 'bench-results/second-opinion')
  .option('--python <path>', 'Python with torch (Debian python3-torch)', process.env.GANTRY_PYTHON ?? '/usr/bin/python3')
  .parse();
const o = program.opts<{ dataset: string; preset: string; nets?: string; methods: string; seeds: number; steps: number; samples: number; metrics: string; metricSamples: number; workers: number; withGantry?: boolean; out: string; python: string }>();
if (!['stacked-mnist', 'mnist'].includes(o.dataset)) program.error(`--dataset ${o.dataset}: the PyTorch trainer draws stacked-mnist or mnist batches`);
const metrics = o.metrics === 'none' ? [] : (o.metrics.split(',') as ImageMetric[]);
const preset = getPreset(o.preset);
const variants = expandVariants(o.methods.split(','));

interface Job {
  label: string;
  seed: number;
  dir: string;
}

/** Case folders: gantry builds each run (its seed's initial weights), the reference trains it. */
function prepare(): Job[] {
  mkdirSync(o.out, { recursive: true });
  const digits = join(o.out, 'digits.safetensors');
  if (!existsSync(digits)) safetensors.saveFile(digits, { images: loadMnist('train').images });
  const jobs: Job[] = [];
  for (const v of variants) {
    for (let seed = 1; seed <= o.seeds; seed++) {
      const dir = join(o.out, 'pytorch', v.label, `seed-${seed}`);
      jobs.push({ label: v.label, seed, dir });
      if (existsSync(join(dir, 'samples.safetensors'))) continue;
      mkdirSync(dir, { recursive: true });
      const run = buildRun({ method: v.id, methodOptions: v.options, dataset: { name: o.dataset as DatasetName }, preset: o.preset, protocol: o.nets ? { nets: o.nets } : {}, steps: o.steps, seed, evalEvery: 0 });
      const init = Object.fromEntries(Object.entries(modulesState(run.method.modules)).map(([k, t]) => [k, keep(t.clone())]));
      const size = run.data.shape.kind === 'image' ? run.data.shape.height : 28;
      writeCase(dir, v.id, run.config.methodOptions, run.method, init, {
        train: { seed, steps: o.steps, samples: o.samples, data: { kind: o.dataset === 'stacked-mnist' ? 'stacked' : 'digits', size } },
        digits: '../../../digits.safetensors',
      });
      disposeRun(run);
    }
  }
  return jobs;
}

function train(job: Job): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(o.python, [join(root, 'perf', 'reference', 'train.py'), job.dir], { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${job.label} seed ${job.seed}: perf/reference/train.py exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function trainAll(jobs: Job[]): Promise<void> {
  const todo = jobs.filter((j) => !existsSync(join(j.dir, 'samples.safetensors')));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const j = todo[next++];
      const t0 = performance.now();
      await train(j);
      console.error(`PyTorch ${j.label} seed ${j.seed}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.workers, todo.length) }, worker));
}

const samplesOf = (j: Job): Tensor => safetensors.loadFile(join(j.dir, 'samples.safetensors')).tensors.x;

const t0 = performance.now();
const jobs = prepare();
await trainAll(jobs);
const data = loadDataset({ name: o.dataset as DatasetName, ...preset.dataset });
const rows: { label: string; seed: number; report: DigitModeReport; metrics?: Record<string, number>; stepsPerSecond: number }[] = [];
for (const j of jobs) {
  const x = samplesOf(j);
  const report = evaluateSamples(data, (k) => x.narrow(0, 0, k), Math.min(o.samples, x.shape[0])) as DigitModeReport;
  const info = JSON.parse(readFileSync(join(j.dir, 'train.json'), 'utf8')) as { steps_per_second: number };
  rows.push({ label: j.label, seed: j.seed, report, stepsPerSecond: info.steps_per_second });
}
if (metrics.length) {
  const n = Math.min(o.metricSamples, o.samples);
  const r = imageMetrics(o.dataset as ImageDatasetName, jobs.map((j) => ({ label: `${j.label} seed ${j.seed}`, images: () => samplesOf(j).narrow(0, 0, n) })), { metrics, n });
  rows.forEach((row, i) => (row.metrics = r.rows[i].values));
}
let gantry: ImageCell[] = [];
if (o.withGantry) {
  const out = join(o.out, 'gantry');
  ({ cells: gantry } = await benchImages({ methods: o.methods.split(','), dataset: o.dataset as DatasetName, preset: o.preset, nets: o.nets, seeds: o.seeds, steps: o.steps, samples: o.samples, evaluations: 0, out, workers: o.workers, metrics, metricSamples: o.metricSamples, resume: true }, (s) => console.error(s)));
}

// The metrics' values are keyed by their full names (FID-MNIST-CNN, IS-MNIST-CNN, ...).
const valueOf = (x: Record<string, number> | undefined, m: string) => Object.entries(x ?? {}).find(([k]) => k.startsWith(`${m.toUpperCase()}-`))?.[1] ?? NaN;
const means = (vals: (Record<string, number> | undefined)[]) => metrics.map((m) => meanStd(vals.map((x) => valueOf(x, m)).filter(Number.isFinite), 2));
const perSeed = (vals: (Record<string, number> | undefined)[]) => metrics.slice(0, 1).map((m) => vals.map((x) => valueOf(x, m).toFixed(1)).join(', '));
const cells = (label: string, who: string, modes: number[], kls: number[], vals: (Record<string, number> | undefined)[], sps: number) =>
  `| ${[label, who, meanStd(modes, 1), meanStd(kls, 2), ...means(vals), modes.join(', '), ...perSeed(vals), sps.toFixed(1)].join(' | ')} |`;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
// One line per method and implementation: the mode count's mean ± std over seeds, each seed's.
const lines: string[] = [];
const head = ['method', 'trained by', 'modes', 'KL', ...metrics.map((m) => m.toUpperCase()), 'modes per seed', ...metrics.slice(0, 1).map((m) => `${m.toUpperCase()} per seed`), 'steps/s'];
lines.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
for (const v of variants) {
  const mine = rows.filter((r) => r.label === v.label);
  lines.push(cells(v.label, 'PyTorch', mine.map((r) => r.report.modes), mine.map((r) => r.report.kl), mine.map((r) => r.metrics), mean(mine.map((r) => r.stepsPerSecond))));
  const cell = gantry.find((c) => c.method === v.label);
  if (cell) {
    const ok = cell.runs.filter((r) => r.report);
    lines.push(cells(v.label, 'gantry', ok.map((r) => r.report!.modes), ok.map((r) => r.report!.kl), ok.map((r) => r.metrics), mean(ok.map((r) => r.stepsPerSecond))));
  }
}
const table = lines.join('\n');
const wall = (performance.now() - t0) / 1000;
const summary = `${table}\n\n${o.dataset}, preset ${o.preset}${o.nets ? `, nets ${o.nets}` : ''}, ${o.steps} iterations, seeds 1–${o.seeds}, ${o.samples} samples counted; ${cpuKind().label}, ${o.workers} worker(s) × 1 thread, ${wall.toFixed(0)} s.\n`;
writeFileSync(join(o.out, 'table.md'), summary);
writeFileSync(join(o.out, 'table.json'), JSON.stringify({ options: o, cpu: cpuKind().label, wall_seconds: wall, pytorch: rows.map((r) => ({ ...r, report: { ...r.report, histogram: undefined, missing: undefined } })) }, null, 2));
console.log(summary);
