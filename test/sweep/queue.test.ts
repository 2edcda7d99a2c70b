// Sweeps through BullMQ on a real Redis (Debian's redis-server, started here on 127.0.0.1 on a free
// port with AOF persistence and noeviction, and stopped): workers share the trials; a worker killed
// with SIGKILL hands its trial to another, which continues it from its checkpoint to the same end as
// an uninterrupted run; Redis restarted and the sweep command killed mid-sweep change nothing; a
// worker with other versions is refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const env = { ...process.env, GANTRY_THREADS: '1' };
const root = mkdtempSync(join(tmpdir(), 'gantry-queue-'));
const REDIS = '/usr/bin/redis-server';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let port = 0;
let redis: ChildProcess | null = null;
const startRedis = async () => {
  mkdirSync(join(root, 'redis'), { recursive: true });
  redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--dir', join(root, 'redis'), '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--save', ''], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
};
const stopRedis = () => new Promise<void>((resolve) => (redis && redis.exitCode === null ? (redis.once('exit', () => resolve()), redis.kill('SIGTERM')) : resolve()));
const url = () => `redis://127.0.0.1:${port}`;

const workers: ChildProcess[] = [];
const worker = (...extra: string[]) => {
  const p = spawn(process.execPath, [cli, 'worker', '--queue', url(), '--lock-ms', '3000', ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  p.stderr!.on('data', (d) => (log += d));
  workers.push(p);
  return { p, log: () => log };
};
const sweep = (file: string, out: string) => spawn(process.execPath, [cli, 'sweep', file, '--out', out, '--queue', url()], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = (p: ChildProcess) => new Promise<number | null>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve(p.exitCode) : p.once('exit', (c) => resolve(c))));
const results = (out: string) => (existsSync(join(out, 'results')) ? readdirSync(join(out, 'results')).filter((f) => /^\w+\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(out, 'results', f), 'utf8'))) : []);
const until = async (what: () => boolean, ms = 60_000) => {
  const t0 = Date.now();
  while (!what()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};
const evalLines = (dir: string) => (existsSync(join(dir, 'metrics.jsonl')) ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"modes"')).length : 0);
const base = (steps: number) => `{ dataset: { name: ring }, steps: ${steps}, evalEvery: 100, viewEvery: 0, report: false, logEvery: 50 }`;

describe.skipIf(!existsSync(REDIS))("gantry sweep --queue with gantry worker (skipped where Debian's redis-server is not installed; scripts/setup.sh installs it)", () => {
  beforeAll(async () => {
    port = await freePort();
    await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await stopRedis();
  });

  it('two workers share the trials; the sweep run again adds nothing and trains nothing', async () => {
    const file = join(root, 'four.yaml');
    writeFileSync(file, `base: ${base(300)}\ngrid:\n  method: [nsgan, gan]\nseeds: 2\nearly_stopping: { rule: asha, metric: score, mode: max, grace: 100, eta: 3 }\n`);
    const out = join(root, 'four');
    const [a, b] = [worker(), worker()];
    const s = sweep(file, out);
    expect(await exited(s)).toBe(0);
    expect(results(out)).toHaveLength(4);
    expect(results(out).every((r) => ['done', 'stopped-early'].includes(r.status))).toBe(true);
    // Both workers trained.
    expect(a.log()).toMatch(/trial \w+ \(/);
    expect(b.log()).toMatch(/trial \w+ \(/);
    const again = spawnSync(process.execPath, [cli, 'sweep', file, '--out', out, '--queue', url()], { env, encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 trial\(s\) on the queue .* \(4 done before\)/);
  }, 120_000);

  it('a benchmark on the queue: its jobs are trials in its own run folders, and its table is made from their results', () => {
    const out = join(root, 'bench');
    const r = spawnSync(process.execPath, [cli, 'bench', 'synthetic', '--methods', 'nsgan', '--datasets', 'ring', '--seeds', '2', '--steps', '200', '--out', out, '--queue', url()], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toMatch(/\| nsgan \| \d\.\d ± \d\.\d/);
    for (const seed of [1, 2]) expect(existsSync(join(out, 'runs', 'ring', 'nsgan', `seed-${seed}`, 'final.json'))).toBe(true);
    expect(results(out)).toHaveLength(2);
  }, 120_000);

  it('a worker killed with SIGKILL mid-trial: another continues the trial from its checkpoint, to the end an uninterrupted run reaches', async () => {
    for (const w of workers.splice(0)) (w.kill('SIGTERM'), await exited(w));
    const file = join(root, 'one.yaml');
    writeFileSync(file, `base: ${base(2000)}\ngrid:\n  method: [nsgan]\nseeds: 1\n`);
    const out = join(root, 'one');
    const first = worker();
    const s = sweep(file, out);
    await until(() => existsSync(join(out, 'trials')) && readdirSync(join(out, 'trials')).some((id) => evalLines(join(out, 'trials', id)) >= 3));
    first.p.kill('SIGKILL');
    await exited(first.p);
    const second = worker();
    expect(await exited(s)).toBe(0);
    const [r] = results(out);
    expect(r.status).toBe('done');
    expect(r.step).toBe(2000);
    expect(second.log()).toContain(`trial ${r.id} (`);
    const trial = join(out, 'trials', r.id);
    const steps = readFileSync(join(trial, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(new Set(steps).size).toBe(steps.length);
    const whole = join(root, 'one-whole');
    const t = spawnSync(process.execPath, [cli, 'train', '--config', join(trial, 'config.json'), '--out', whole, '--quiet'], { env, encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    expect(readFileSync(join(trial, 'samples.csv'), 'utf8')).toBe(readFileSync(join(whole, 'samples.csv'), 'utf8'));
  }, 180_000);

  it('Redis restarted and the sweep command killed mid-sweep: rerun, it reattaches and every trial finishes once', async () => {
    const file = join(root, 'three.yaml');
    writeFileSync(file, `base: ${base(1500)}\ngrid:\n  method: [nsgan]\nseeds: 3\n`);
    const out = join(root, 'three');
    const s = sweep(file, out);
    await until(() => existsSync(join(out, 'trials')) && readdirSync(join(out, 'trials')).some((id) => evalLines(join(out, 'trials', id)) >= 2));
    await stopRedis();
    s.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await startRedis();
    const again = sweep(file, out);
    expect(await exited(again)).toBe(0);
    const rs = results(out);
    expect(rs.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    for (const r of rs) {
      const steps = readFileSync(join(out, 'trials', r.id, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
      expect(new Set(steps).size).toBe(steps.length);
    }
  }, 180_000);

  it('a worker whose gantry version differs from the sweep\'s is refused, with both versions named', async () => {
    for (const w of workers.splice(0)) (w.kill('SIGTERM'), await exited(w));
    const { Queue } = await import('bullmq');
    const { QUEUE_NAME } = await import('../../src/sweep/queue.js');
    const q = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port } });
    const spec = JSON.parse(readFileSync(join(root, 'one', 'sweep.json'), 'utf8'));
    await q.add('trial', { sweepDir: join(root, 'other'), sweepKey: 'other', trial: spec.trials[0], versions: { gantry: '0.0.1-elsewhere', libtorch: spec.versions.libtorch } }, { jobId: 'other-version', attempts: 1 });
    const w = worker();
    expect(await exited(w.p)).toBe(1);
    expect(w.log()).toMatch(new RegExp(`refused trial \\w+: this machine \\(.+\\) has gantry ${spec.versions.gantry.replace(/\./g, '\\.')}, the sweep was made with gantry 0\\.0\\.1-elsewhere`));
    await q.close();
  }, 60_000);
});
