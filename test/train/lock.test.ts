// One writer per run folder. While a run trains, a second `--resume` of its folder and an
// `--overwrite` with another method are refused before they write anything, naming the holder; the
// first run finishes as if alone (metrics.jsonl in order, one method). A lock left by a killed
// process is taken over with a message; a finished run leaves no lock; readers need none.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const env = { ...process.env, GANTRY_THREADS: '1' };
const gantry = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
const root = mkdtempSync(join(tmpdir(), 'gantry-lock-'));
const lines = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('the run folder lock', () => {
  it('a second writer is refused while a run trains, naming its pid; the run ends as if alone', async () => {
    const out = join(root, 'busy');
    const first = spawn(process.execPath, [cli, 'train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '3000', '--seed', '1', '--log-every', '25', '--checkpoint-every', '100', '--eval-every', '0', '--quiet', '--out', out], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const done = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
    while (!existsSync(join(out, 'checkpoint.safetensors'))) await new Promise((r) => setTimeout(r, 20));
    const before = readFileSync(join(out, 'config.json'), 'utf8');
    const resume = gantry('train', '--resume', out, '--quiet');
    expect(resume.status).toBe(1);
    expect(resume.stderr).toContain(`gantry: ${out} is being written by pid ${first.pid} on ${hostname()}`);
    expect(resume.stderr).not.toMatch(/gantry: gantry:/);
    const overwrite = gantry('train', '--method', 'lsgan', '--dataset', 'ring', '--steps', '40', '--overwrite', '--quiet', '--out', out);
    expect(overwrite.status).toBe(1);
    expect(overwrite.stderr).toContain(`is being written by pid ${first.pid}`);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(before);
    expect(await done).toBe(0);
    const steps = lines(out).map((l) => l.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(JSON.parse(readFileSync(join(out, 'final.json'), 'utf8')).method).toBe('nsgan');
    expect(existsSync(join(out, '.gantry.lock'))).toBe(false);
    // Readers take no lock and leave none.
    expect(gantry('eval', out, '--json').status).toBe(0);
    expect(existsSync(join(out, '.gantry.lock'))).toBe(false);
  });
  it('a lock left by a dead process is taken over with a message', () => {
    const out = join(root, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.gantry.lock'), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), started: '2026-12-01T00:00:00.000Z', command: 'gantry train' }));
    const r = gantry('train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '20', '--quiet', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`taking over the lock of pid ${dead.stdout}`);
    expect(existsSync(join(out, 'final.json'))).toBe(true);
    expect(existsSync(join(out, '.gantry.lock'))).toBe(false);
  });
  it("a lock held on another host is refused with the way out (its pid cannot be checked from here)", () => {
    const out = join(root, 'elsewhere');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.gantry.lock'), JSON.stringify({ pid: 1, host: 'other-machine', started: '2026-12-01T00:00:00.000Z', command: 'gantry train' }));
    const r = gantry('train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '20', '--quiet', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`pid 1 on other-machine`);
    expect(r.stderr).toContain(`if that process is gone, delete ${join(out, '.gantry.lock')}`);
    expect(existsSync(join(out, 'config.json'))).toBe(false);
  });
});
