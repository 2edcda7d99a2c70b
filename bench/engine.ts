// `npm run bench:engine`: each ENGINE.md workload in gantry and in PyTorch (bench/reference/engine.py),
// as two long-lived processes whose repetitions interleave, so machine drift hits both alike.
// Prints one JSON line per workload; ratio = gantry_ms / torch_ms (medians).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(workload: string, reps: number, threads: number, python: string) {
  const env = { ...process.env, GANTRY_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const g = new Worker(spawn(process.execPath, [join(here, 'engine-worker.js'), workload], { env }), `gantry ${workload}`);
  const t = new Worker(spawn(python, [join(root, 'bench', 'reference', 'engine.py'), workload, String(threads)], { env }), `torch ${workload}`);
  const [gi, ti] = [await g.read(), await t.read()];
  const gms: number[] = [];
  const tms: number[] = [];
  for (let r = 0; r < reps; r++) {
    gms.push(Number((await g.ask('rep')).ms));
    tms.push(Number((await t.ask('rep')).ms));
  }
  const [gq, tq] = [await g.ask('quit'), await t.ask('quit')];
  g.close();
  t.close();
  const gantry_ms = median(gms);
  const torch_ms = median(tms);
  return {
    workload,
    gantry_ms: +gantry_ms.toFixed(3),
    torch_ms: +torch_ms.toFixed(3),
    ratio: +(gantry_ms / torch_ms).toFixed(3),
    gantry_rss_mb: +Number(gq.peak_rss_mb).toFixed(1),
    torch_rss_mb: +Number(tq.peak_rss_mb).toFixed(1),
    rss_ratio: +(Number(gq.peak_rss_mb) / Number(tq.peak_rss_mb)).toFixed(3),
    reps,
    threads,
    gantry_blas: gi.blas,
    torch_version: ti.torch,
  };
}

const program = new Command('bench:engine')
  .description('ENGINE.md workloads, gantry vs PyTorch, interleaved; one JSON line per workload')
  .option('--workloads <list>', 'comma-separated', 'w1a,w1b,w2a,w2b,w3')
  .option('--reps <n>', 'repetitions per side (median reported)', '5')
  .option('--threads <n>', 'intra-op threads for both sides', '2')
  .option('--python <path>', 'Python with torch (Debian python3-torch)', process.env.GANTRY_PYTHON ?? '/usr/bin/python3')
  .parse();
const o = program.opts();
for (const w of String(o.workloads).split(',')) {
  console.log(JSON.stringify(await bench(w, Number(o.reps), Number(o.threads), o.python)));
}
