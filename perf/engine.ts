// `npm run perf:engine`: each docs/ENGINE.md workload in gantry and in PyTorch (perf/reference/engine.py),
// as two long-lived processes whose repetitions interleave, so machine drift hits both alike.
// Prints one JSON line per workload: ratio = gantry_ms / torch_ms (medians), and ratio_paired, the
// median (and quartiles) of the ratios of repetitions that ran back to back.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { cpuKind } from '../src/torch/cpu.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInt } from './options.js';
import { isWorkload, STEPS_PER_REP, type WorkloadName } from './steps.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

class Worker {
  private readonly lines: AsyncIterator<string>;
  private readonly rl: Interface;
  constructor(private readonly proc: ChildProcessWithoutNullStreams, readonly label: string) {
    this.rl = createInterface({ input: proc.stdout });
    this.lines = this.rl[Symbol.asyncIterator]();
    proc.stderr.on('data', (d) => process.stderr.write(`[${label}] ${d}`));
  }
  async read(): Promise<Record<string, number | string | boolean>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`${this.label} exited early (code ${this.proc.exitCode}); see its stderr above`);
    return JSON.parse(value);
  }
  close(): void {
    this.proc.stdin.end();
    this.rl.close();
  }
  async ask(cmd: string) {
    this.proc.stdin.write(cmd + '\n');
    return this.read();
  }
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1) + 0.5)];
const median = (xs: number[]) => quantile(xs, 0.5);

async function measure(workload: WorkloadName, reps: number, threads: number, python: string, device: string, steps: number = STEPS_PER_REP[workload]) {
  const env = { ...process.env, GANTRY_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const g = new Worker(spawn(process.execPath, [join(here, 'engine-worker.js'), workload, String(steps), device], { env }), `gantry ${workload}`);
  const t = new Worker(spawn(python, [join(root, 'perf', 'reference', 'engine.py'), workload, String(threads), String(steps), device], { env }), `torch ${workload}`);
  const [gi, ti] = [await g.read(), await t.read()];
  const gms: number[] = [];
  const tms: number[] = [];
  // Pairs alternate which side goes first, so neither always runs on a cache the other just left.
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? [g, t] : [t, g];
    for (const w of order) (w === g ? gms : tms).push(Number((await w.ask('rep')).ms));
  }
  const [gq, tq] = [await g.ask('quit'), await t.ask('quit')];
  g.close();
  t.close();
  const gantry_ms = median(gms);
  const torch_ms = median(tms);
  // Each pair ran back to back, so its ratio is the least disturbed by the machine's drift.
  const paired = gms.map((ms, i) => ms / tms[i]);
  // GFLOP/s of each side. For W3 and W4 gantry counts the networks' work from their shapes (every
  // linear and (transposed) convolution layer, forward and backward: perf/workloads.ts); for the
  // MLPs PyTorch's profiler's count is complete (matrix products, forward and backward).
  const counted = Number(gi.flops) || 0;
  const flops = counted || Number(ti.flops) || 0;
  return {
    workload,
    cpu: cpuKind().label,
    gantry_ms: +gantry_ms.toFixed(3),
    torch_ms: +torch_ms.toFixed(3),
    ratio: +(gantry_ms / torch_ms).toFixed(3),
    step_gflop: +(flops / 1e9).toFixed(3),
    flops_from: counted ? 'layer shapes, forward + backward' : "PyTorch's profiler",
    gantry_gflops: flops ? +(flops / 1e6 / gantry_ms).toFixed(1) : null,
    torch_gflops: flops ? +(flops / 1e6 / torch_ms).toFixed(1) : null,
    ratio_paired: +median(paired).toFixed(3),
    ratio_paired_iqr: [+quantile(paired, 0.25).toFixed(3), +quantile(paired, 0.75).toFixed(3)],
    gantry_rss_mb: +Number(gq.peak_rss_mb).toFixed(1),
    torch_rss_mb: +Number(tq.peak_rss_mb).toFixed(1),
    rss_ratio: +(Number(gq.peak_rss_mb) / Number(tq.peak_rss_mb)).toFixed(3),
    reps,
    steps,
    threads,
    device,
    gantry_blas: gi.blas,
    torch_version: ti.torch,
  };
}

const program = new Command('perf:engine')
  .description('docs/ENGINE.md workloads, gantry vs PyTorch, interleaved; one JSON line per workload')
  .option('--workloads <list>', 'comma-separated', 'w1a,w1b,w2a,w2b,w3,w4')
  .option('--reps <n>', 'repetitions per side (median reported)', positiveInt('--reps'), 15)
  .option('--steps <n>', "training steps per repetition (default: the workload's own, about half a second)", positiveInt('--steps'))
  .option('--threads <n>', 'intra-op threads for both sides', positiveInt('--threads'), 2)
  .option('--device <d>', 'where both sides run: cpu, cuda or cuda:N', 'cpu')
  .option('--python <path>', 'Python with torch (Debian python3-torch)', process.env.GANTRY_PYTHON ?? '/usr/bin/python3')
  .parse();
const o = program.opts<{ workloads: string; reps: number; steps?: number; threads: number; python: string; device: string }>();
const names = o.workloads.split(',');
const unknown = names.filter((w) => !isWorkload(w));
if (unknown.length) program.error(`unknown workload(s) ${unknown.join(', ')}: use some of ${Object.keys(STEPS_PER_REP).join(', ')}`);
try {
  for (const w of names.filter(isWorkload)) console.log(JSON.stringify(await measure(w, o.reps, o.threads, o.python, o.device, o.steps)));
} catch (e) {
  console.error(`perf:engine: ${(e as Error).message}`);
  process.exit(1);
}
