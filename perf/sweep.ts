// `npm run perf:sweep`: a 24-trial ring sweep (nsgan, 4 learning rates × 6 seeds, a small budget)
// three ways on this machine: `gantry sweep` with 1 local worker, with 2, and through the queue with
// 2 `gantry worker`s on a Redis started here (Debian's redis-server, 127.0.0.1, a free port, AOF on).
// One JSON line each with the wall time, and the queue's overhead per trial: (queue wall − local
// wall, both with 2 at once) × 2 / trials (goal < 1 s). Each way starts from an empty folder.
// Run it on a quiet machine: a second process on 2 cores distorts every figure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { cpuKind } from '../src/torch/cpu.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInt } from './options.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const o = new Command('perf:sweep')
  .description('a 24-trial ring sweep: 1 and 2 local workers, 2 queue workers')
  .option('--steps <n>', 'steps per trial', positiveInt('--steps'), 500)
  .option('--redis <path>', "Debian's redis-server", '/usr/bin/redis-server')
  .parse()
  .opts<{ steps: number; redis: string }>();
const work = mkdtempSync(join(tmpdir(), 'gantry-perf-sweep-'));
const env = { ...process.env, GANTRY_THREADS: '2' };
const cpu = cpuKind().label;
const print = (line: Record<string, unknown>) => console.log(JSON.stringify({ ...line, cpu, cores: cpus().length }));

const file = join(work, 'sweep.yaml');
writeFileSync(file, `base: { method: nsgan, dataset: { name: ring }, steps: ${o.steps}, evalEvery: ${o.steps}, viewEvery: 0, report: false }\ngrid:\n  protocol.lr: [0.0001, 0.0003, 0.001, 0.003]\nseeds: 6\n`);
const trials = 24;

const timed = (args: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gantry ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
};

const local1 = timed(['sweep', file, '--out', join(work, 'local-1'), '--workers', '1']);
print({ figure: 'sweep', how: 'local, 1 worker (2 threads)', trials, steps: o.steps, wall_s: +local1.toFixed(2) });
const local2 = timed(['sweep', file, '--out', join(work, 'local-2'), '--workers', '2']);
print({ figure: 'sweep', how: 'local, 2 workers (1 thread each)', trials, steps: o.steps, wall_s: +local2.toFixed(2) });

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
mkdirSync(join(work, 'redis'));
const redis = spawn(o.redis, ['--port', String(port), '--bind', '127.0.0.1', '--dir', join(work, 'redis'), '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', ''], { stdio: 'ignore' });
const workers: ChildProcess[] = [];
try {
  for (let i = 0; i < 100 && spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50));
  const url = `redis://127.0.0.1:${port}`;
  // The workers start (and load libtorch) before the clock does, as they would be waiting on a cluster.
  for (let i = 0; i < 2; i++) workers.push(spawn(process.execPath, [cli, 'worker', '--queue', url, '--threads', '1'], { env, stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 3000));
  const queued = timed(['sweep', file, '--out', join(work, 'queue-2'), '--queue', url]);
  const overhead = ((queued - local2) * 2) / trials;
  print({ figure: 'sweep', how: 'queue, 2 workers (1 thread each)', trials, steps: o.steps, wall_s: +queued.toFixed(2), overhead_per_trial_s: +overhead.toFixed(3), goal: 'overhead < 1 s per trial', met: overhead < 1 });
} finally {
  for (const w of workers) w.kill('SIGTERM');
  redis.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
