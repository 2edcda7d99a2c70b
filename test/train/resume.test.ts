// Stop and resume (`gantry train --resume`): a run killed with SIGKILL at random moments and resumed
// each time, a run stopped with SIGINT or SIGTERM, and one whose last checkpoint is damaged, all end
// with the same samples and metrics, byte for byte, as the uninterrupted run with the same seed
// (timing fields aside). Runs the compiled CLI as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/mixture.js';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const root = mkdtempSync(join(tmpdir(), 'gantry-resume-'));
const env = { ...process.env, GANTRY_THREADS: '1' };
const STEPS = 1500;
const trainArgs = (out: string) => ['train', '--method', 'nsgan', '--dataset', 'ring', '--steps', String(STEPS), '--seed', '3', '--checkpoint-every', '50', '--eval-every', '500', '--log-every', '25', '--quiet', '--out', out];
const gantry = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });

/** metrics.jsonl without its timing fields. */
const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').replace(/"seconds":[0-9.e+-]+,/g, '');
const finalJson = (dir: string) => {
  const { seconds, steps_per_second, ...rest } = JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8'));
  return rest;
};
/** The last step in metrics.jsonl (0 when none). */
const lastStep = (dir: string) => {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  try {
    return lines.length ? JSON.parse(lines[lines.length - 1]).step : 0;
  } catch {
    return 0; // a line being written
  }
};

/** Starts the command, waits until metrics.jsonl passes `killAt`, then sends `signal`; resolves with how it ended. */
function runUntil(args: string[], dir: string, killAt: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (lastStep(dir) >= killAt) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 20);
    child.on('exit', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr });
    });
  });
}

let reference: string;
describe('stop and resume', () => {
  it('the uninterrupted run', () => {
    reference = join(root, 'reference');
    const r = gantry(...trainArgs(reference));
    expect(r.status, r.stderr).toBe(0);
  });

  it('killed with SIGKILL at random moments and resumed each time: the same samples and metrics, byte for byte', async () => {
    const dir = join(root, 'killed');
    const rng = mulberry32(11);
    let kills = 0;
    let target = 100 + Math.floor(rng() * 200);
    let r = await runUntil(trainArgs(dir), dir, target, 'SIGKILL');
    if (r.signal === 'SIGKILL') kills++;
    for (let cycle = 0; cycle < 12 && r.code !== 0; cycle++) {
      target = lastStep(dir) + 50 + Math.floor(rng() * 250);
      // Past the last step: let it finish.
      r = await runUntil(['train', '--resume', dir, '--quiet'], dir, target < STEPS ? target : Infinity, 'SIGKILL');
      if (r.signal === 'SIGKILL') kills++;
    }
    expect(r.code, r.stderr).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(dir, 'samples.csv'))).toEqual(readFileSync(join(reference, 'samples.csv')));
    expect(metrics(dir)).toBe(metrics(reference));
    expect(finalJson(dir)).toEqual(finalJson(reference));
  });

  it('SIGINT and SIGTERM: the step finishes, a checkpoint is written, exit 130 / 143 with the resume command; resuming gives the same run', async () => {
    const dir = join(root, 'signalled');
    const a = await runUntil(trainArgs(dir), dir, 300, 'SIGINT');
    expect(a.code).toBe(130);
    expect(a.stderr).toContain(`gantry train --resume ${dir}`);
    expect(existsSync(join(dir, 'checkpoint.safetensors'))).toBe(true);
    const b = await runUntil(['train', '--resume', dir, '--quiet'], dir, 900, 'SIGTERM');
    expect(b.code).toBe(143);
    const c = gantry('train', '--resume', dir, '--quiet');
    expect(c.status, c.stderr).toBe(0);
    expect(readFileSync(join(dir, 'samples.csv'))).toEqual(readFileSync(join(reference, 'samples.csv')));
    expect(metrics(dir)).toBe(metrics(reference));
  });

  it('a damaged last checkpoint is detected by its hash; the one before it is used, with a message', async () => {
    const dir = join(root, 'damaged');
    const a = await runUntil(trainArgs(dir), dir, 400, 'SIGINT');
    expect(a.code).toBe(130);
    const ckpt = join(dir, 'checkpoint.safetensors');
    truncateSync(ckpt, statSync(ckpt).size - 100);
    const r = gantry('train', '--resume', dir, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/checkpoint\.safetensors .*(sha256|offsets).*using .*checkpoint\.prev\.safetensors/s);
    expect(readFileSync(join(dir, 'samples.csv'))).toEqual(readFileSync(join(reference, 'samples.csv')));
    expect(metrics(dir)).toBe(metrics(reference));
  });

  it('--out holding a run is refused unless --resume or --overwrite; a finished run is not resumed', () => {
    const again = gantry(...trainArgs(reference));
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/holds a run already.*--resume .*--overwrite/);
    const finished = gantry('train', '--resume', reference);
    expect(finished.status).toBe(1);
    expect(finished.stderr).toContain('the run finished');
    const withFlags = gantry('train', '--resume', reference, '--steps', '10');
    expect(withFlags.stderr).toContain('leave out --steps');
  });
});
