// `gantry sweep` on this machine, for real: ASHA stops trials at rungs, a rerun finds the finished
// trials, a stopped trial continued later ends exactly as the same run trained in one piece, and a
// sweep stopped by SIGTERM continues where it was.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const env = { ...process.env, GANTRY_THREADS: '2' };
const gantry = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
const root = mkdtempSync(join(tmpdir(), 'gantry-sweep-'));
const base = '{ dataset: { name: ring }, steps: 400, evalEvery: 100, viewEvery: 0, report: false, logEvery: 50 }';

describe('gantry sweep, local', () => {
  const file = join(root, 'asha.yaml');
  // One worker, so the order is fixed: nsgan at lr 1e-3 reaches the rung first (and goes on, as the
  // first at a rung does); nsgan at lr 1e-5 has learnt nothing by step 300 and is stopped there.
  writeFileSync(file, `base: ${base}\ngrid:\n  method: [nsgan, gan]\n  protocol.lr: [0.001, 0.00001]\nseeds: 1\nearly_stopping: { rule: asha, metric: score, mode: max, grace: 300, eta: 3 }\n`);
  const out = join(root, 'asha');
  it('ASHA: every trial ends done or stopped-early at its rung (300), with the decision; the untrained one is stopped; a rerun trains nothing', () => {
    const r = gantry('sweep', file, '--out', out, '--workers', '1');
    expect(r.status, r.stderr).toBe(0);
    const results = readdirSync(join(out, 'results')).map((f) => JSON.parse(readFileSync(join(out, 'results', f), 'utf8')));
    expect(results).toHaveLength(4);
    for (const x of results) {
      expect(['done', 'stopped-early']).toContain(x.status);
      if (x.status === 'done') expect(x.step).toBe(400);
      else expect([300, 301]).toContain(x.step);
      expect(x.decisions).toHaveLength(1);
    }
    const slow = readdirSync(join(out, 'trials')).map((id) => JSON.parse(readFileSync(join(out, 'trials', id, 'config.json'), 'utf8')) as { method: string; protocol: { lr: number } });
    expect(slow.filter((c) => c.protocol.lr === 0.00001)).toHaveLength(2);
    const byLr = (lr: number, method: string) => results.find((x) => JSON.parse(readFileSync(join(out, 'trials', x.id, 'config.json'), 'utf8')).protocol.lr === lr && JSON.parse(readFileSync(join(out, 'trials', x.id, 'config.json'), 'utf8')).method === method);
    expect(byLr(0.001, 'nsgan').status).toBe('done');
    expect(byLr(0.00001, 'nsgan').status).toBe('stopped-early');
    expect(r.stdout).toMatch(/4 trials: 0 submitted, 0 running, [1-3] done, 0 failed, [1-3] stopped-early/);
    const stamps = readdirSync(join(out, 'trials')).map((id) => statSync(join(out, 'trials', id, 'metrics.jsonl')).mtimeMs);
    const again = gantry('sweep', file, '--out', out);
    expect(again.status, again.stderr).toBe(0);
    expect(readdirSync(join(out, 'trials')).map((id) => statSync(join(out, 'trials', id, 'metrics.jsonl')).mtimeMs)).toEqual(stamps);
    expect(gantry('sweep', 'status', out).stdout).toBe(r.stdout);
  }, 240_000);

  it('--continue-stopped trains a stopped trial to its budget, ending exactly as the same run trained in one piece', () => {
    const stopped = readdirSync(join(out, 'results')).map((f) => JSON.parse(readFileSync(join(out, 'results', f), 'utf8'))).find((x) => x.status === 'stopped-early');
    expect(stopped, 'ASHA stopped at least one of four').toBeDefined();
    const r = gantry('sweep', file, '--out', out, '--continue-stopped');
    expect(r.status, r.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'results', `${stopped.id}.json`), 'utf8'));
    expect(after.status).toBe('done');
    expect(after.step).toBe(400);
    expect(existsSync(join(out, 'results', `${stopped.id}.stopped-early.json`))).toBe(true);
    const trial = join(out, 'trials', stopped.id);
    const whole = join(root, 'whole');
    const t = gantry('train', '--config', join(trial, 'config.json'), '--out', whole, '--quiet');
    expect(t.status, t.stderr).toBe(0);
    expect(readFileSync(join(trial, 'samples.csv'), 'utf8')).toBe(readFileSync(join(whole, 'samples.csv'), 'utf8'));
    const final = (d: string) => { const { seconds: _s, steps_per_second: _p, ...rest } = JSON.parse(readFileSync(join(d, 'final.json'), 'utf8')); return rest; };
    expect(final(trial)).toEqual(final(whole));
  }, 240_000);

  it('gantry sweep report: per setting mean ± std, the best on the metric, a histogram per axis, report.html', () => {
    const r = gantry('sweep', 'report', out);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.settings).toHaveLength(4);
    expect(json.metric).toBe('score');
    // The best listed first: means in descending order.
    const ranked = json.best.map((b: string) => json.settings.find((s: { setting: string }) => s.setting === b).metrics.score.mean);
    expect([...ranked].sort((a, b) => b - a)).toEqual(ranked);
    // Every trial ran to the end by now (--continue-stopped): 1 seed each, std 0.
    for (const s of json.settings) expect(s.metrics.score).toMatchObject({ n: 1, std: 0 });
    expect(r.stdout).toMatch(/\| method=nsgan protocol\.lr=0\.001 \| 1 \| 1 \| 0 \| 0 \| \d\.0 ± 0\.0 \|/);
    for (const f of ['histogram-method.png', 'histogram-protocol.lr.png', 'report.html', 'report.md']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('SIGTERM stops the sweep with its trials checkpointed (exit 143); the same command finishes it', async () => {
    const f = join(root, 'long.yaml');
    writeFileSync(f, `base: ${base.replace('steps: 400', 'steps: 3000')}\ngrid:\n  method: [nsgan]\nseeds: 2\n`);
    const dir = join(root, 'long');
    const p = spawn(process.execPath, [cli, 'sweep', f, '--out', dir, '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Once both trials have written an evaluation line, stop it.
    const lines = () => (existsSync(join(dir, 'trials')) ? readdirSync(join(dir, 'trials')).filter((id) => existsSync(join(dir, 'trials', id, 'metrics.jsonl')) && readFileSync(join(dir, 'trials', id, 'metrics.jsonl'), 'utf8').includes('"modes"')).length : 0);
    while (lines() < 2) await new Promise((r) => setTimeout(r, 100));
    const code = await new Promise<number | null>((resolve) => (p.on('exit', resolve), p.kill('SIGTERM')));
    expect(code).toBe(143);
    expect(gantry('sweep', 'status', dir).stdout).toMatch(/2 trials: 2 submitted/);
    const r = gantry('sweep', f, '--out', dir, '--workers', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 trials: 0 submitted, 0 running, 2 done/);
    // Continued, not restarted: each metrics.jsonl has one line per logged step, none twice.
    for (const id of readdirSync(join(dir, 'trials'))) {
      const steps = readFileSync(join(dir, 'trials', id, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
      expect(new Set(steps).size).toBe(steps.length);
      expect(steps.at(-1)).toBe(3000);
    }
  }, 240_000);
});
