// Stop and resume (`gantry train --resume`): a run killed with SIGKILL at random moments and resumed
// each time, a run stopped with SIGINT or SIGTERM, and one whose last checkpoint is damaged, all end
// with the same samples and metrics, byte for byte, as the uninterrupted run with the same seed
// (timing fields aside). Runs the compiled CLI as a user would, on GANTRY_TEST_DEVICE (default cpu;
// scripts/gpu-check.sh runs it on cuda).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/torch/index.js';
import { finishedResult, trainToDir } from '../../src/train/run.js';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const root = mkdtempSync(join(tmpdir(), 'gantry-resume-'));
const env = { ...process.env, GANTRY_THREADS: '1' };
const STEPS = 1500;
const DEVICE = process.env.GANTRY_TEST_DEVICE ?? 'cpu';
const trainArgs = (out: string) => ['train', '--method', 'nsgan', '--dataset', 'ring', '--steps', String(STEPS), '--seed', '3', '--checkpoint-every', '50', '--eval-every', '500', '--log-every', '25', '--device', DEVICE, '--quiet', '--out', out];
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

describe('Ctrl-C on a terminal', () => {
  it('puts the terminal back (cursor shown, line wrap on) after the progress bar, says how to resume, exits 130', async () => {
    // script(1) runs gantry on a pseudo-terminal; the Ctrl-C byte goes through the terminal driver,
    // which sends SIGINT to gantry as a keyboard would.
    const dir = join(root, 'terminal');
    const command = [process.execPath, cli, 'train', '--method', 'nsgan', '--steps', '3000', '--eval-every', '0', '--out', dir].map((a) => JSON.stringify(a)).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let pressed = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!pressed && /step [1-9]\d*\//.test(out)) {
        pressed = true;
        child.stdin.write('\x03');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(130);
    const [hideCursor, showCursor, wrapOff, wrapOn] = ['\x1b[?25l', '\x1b[?25h', '\x1b[?7l', '\x1b[?7h'].map((s) => out.lastIndexOf(s));
    expect(hideCursor).toBeGreaterThanOrEqual(0);
    expect(showCursor).toBeGreaterThan(hideCursor);
    expect(wrapOff).toBeGreaterThanOrEqual(0);
    expect(wrapOn).toBeGreaterThan(wrapOff);
    expect(out).toContain(`Continue with: gantry train --resume ${dir}`);
  });
});

describe('divergence guard', () => {
  it("--on-diverge lower-lr: NaN losses roll back to the last checkpoint, halve the learning rates, say so in metrics.jsonl, and training finishes", () => {

    const dir = join(root, 'diverge-once');
    let injected = false;
    let lrAfter: number[] = [];
    const result = trainToDir(
      { method: 'nsgan', dataset: { name: 'ring' }, steps: 200, seed: 2, evalEvery: 0, checkpointEvery: 50, logEvery: 10, onDiverge: 'lower-lr' },
      dir,
      {
        observe: (run) => {
          const step = run.method.step.bind(run.method);
          run.method.step = (ctx) => {
            const losses = step(ctx);
            if (ctx.iteration === 120 && !injected) {
              injected = true;
              return { ...losses, d: Number.NaN };
            }
            if (ctx.iteration === 150) lrAfter = Object.values(run.method.optimizers).map((o) => o.lr);
            return losses;
          };
        },
      },
    );
    expect(result.steps).toBe(200);
    expect(lrAfter).toEqual([5e-4, 5e-4]);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const event = lines.find((l) => l.event === 'diverged');
    expect(event).toMatchObject({ step: 100, diverged_at: 121, retry: 1, lr: { G: 5e-4, D: 5e-4 } });
    // After the roll-back the log continues from the checkpoint's step: 110, 120, … 200.
    const steps = lines.filter((l) => !l.event).map((l) => l.step);
    expect(steps.slice(steps.indexOf(100))).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
  });

  it('data that always diverges: at most --diverge-retries roll-backs, then exit 1 with what is true', () => {
    const data = join(root, 'huge.csv');
    writeFileSync(data, '3e38,3e38\n-3e38,3e38\n3e38,-3e38\n');
    const r = gantry('train', '--method', 'nsgan', '--data', data, '--steps', '100', '--checkpoint-every', '20', '--on-diverge', 'lower-lr', '--diverge-retries', '2', '--quiet', '--out', join(root, 'diverge-always'));
    expect(r.status).toBe(1);
    expect(r.stderr.match(/learning rates halved/g)).toHaveLength(2);
    expect(r.stderr).toMatch(/training diverged at step \d+/);
    expect(r.stderr).toContain('The divergence guard has used its retries (--diverge-retries): lower the learning rate further (--lr), or try another seed.');
    expect(r.stderr).not.toContain('--on-diverge lower-lr');
    expect(r.stderr).not.toContain('checkpoint is kept');
  });
});

describe('damaged run files', () => {
  it('a half-written last line of metrics.jsonl (killed mid-append) is dropped with a message and the run resumes; a damaged line elsewhere is named', async () => {
    const dir = join(root, 'half-line');
    const a = await runUntil(trainArgs(dir), dir, 300, 'SIGINT');
    expect(a.code).toBe(130);
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":99999,"loss');
    const r = gantry('train', '--resume', dir, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/metrics\.jsonl: its last line was cut short \(a write interrupted\), dropped/);
    expect(metrics(dir)).toBe(metrics(reference));
    const broken = join(root, 'garbage-line');
    const b = await runUntil(trainArgs(broken), broken, 300, 'SIGINT');
    expect(b.code).toBe(130);
    const lines = readFileSync(join(broken, 'metrics.jsonl'), 'utf8').split('\n');
    lines[1] = 'garbage';
    writeFileSync(join(broken, 'metrics.jsonl'), lines.join('\n'));
    const c = gantry('train', '--resume', broken, '--quiet');
    expect(c.status).toBe(1);
    expect(c.stderr).toContain(`gantry: ${join(broken, 'metrics.jsonl')} line 2 is not valid JSON (garbage…): remove that line (the checkpoints are separate and intact)`);
  });
  it('a broken config.json or final.json is named with the way out', () => {
    const dir = join(root, 'broken-json');
    expect(gantry('train', '--method', 'nsgan', '--steps', '20', '--quiet', '--out', dir).status).toBe(0);
    const config = readFileSync(join(dir, 'config.json'), 'utf8');
    writeFileSync(join(dir, 'final.json'), '{"modes": 8,');
    // What a benchmark's --resume reads of a finished run.
    expect(() => finishedResult(dir)).toThrow(`${join(dir, 'final.json')} is not valid JSON`);
    expect(() => finishedResult(dir)).toThrow(`delete it and run gantry train --resume ${dir} to write it again from the last checkpoint`);
    writeFileSync(join(dir, 'config.json'), config.slice(0, 40));
    const r = gantry('eval', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`gantry: ${join(dir, 'config.json')} is not valid JSON \\(.*\\): restore it from a copy`));
  });
});

describe('stop and resume an image run (Stacked-MNIST, small-d, quick preset)', () => {
  // Killed after the first evaluation, so the resumed process loads the counting classifier at a
  // later evaluation than the uninterrupted one did: building it once drew from the global
  // generator and shifted everything after (a 6-mode seed became 3).
  const imageArgs = (out: string) => ['train', '--method', 'nsgan', '--dataset', 'stacked-mnist', '--preset', 'quick', '--steps', '60', '--seed', '2', '--batch-size', '16', '--eval-every', '20', '--eval-samples', '256', '--checkpoint-every', '5', '--log-every', '5', '--device', DEVICE, '--quiet', '--out', out];
  it('SIGKILL twice after evaluations and resumed: the same metrics and samples.npy, byte for byte', async () => {
    const ref = join(root, 'image-reference');
    const r0 = gantry(...imageArgs(ref));
    expect(r0.status, r0.stderr).toBe(0);
    const dir = join(root, 'image-killed');
    const a = await runUntil(imageArgs(dir), dir, 25, 'SIGKILL');
    expect(a.signal).toBe('SIGKILL');
    const b = await runUntil(['train', '--resume', dir, '--quiet'], dir, 45, 'SIGKILL');
    expect(b.signal).toBe('SIGKILL');
    const c = gantry('train', '--resume', dir, '--quiet');
    expect(c.status, c.stderr).toBe(0);
    expect(metrics(dir)).toBe(metrics(ref));
    expect(readFileSync(join(dir, 'samples.npy'))).toEqual(readFileSync(join(ref, 'samples.npy')));
    expect(finalJson(dir)).toEqual(finalJson(ref));
  });
});
