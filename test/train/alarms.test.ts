// Collapse alarms: each rule on hand-made signals (fires once, at the step it should, not before its
// grace), then for real: the minimax GAN on the 1200-D mixture, which finds none of the ten modes,
// raises coverage-low; --on-collapse stop ends the run with exit 3 and a checkpoint, and it resumes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARM_DEFAULTS, CollapseWatch, type Alarm } from '../../src/train/alarms.js';

const watch = () => {
  const fired: Alarm[] = [];
  return { w: new CollapseWatch(ALARM_DEFAULTS, (a) => fired.push(a)), fired };
};
const report = (modes: number, max: number, hq = 0.5, kl: number | null = 0.1) => ({ modes, modes_max: max, high_quality: hq, reverse_kl: kl, n: 2500 }) as never;

describe('the rules, by hand', () => {
  it('coverage-low: below half the modes at three evaluations in a row, after two of grace; once', () => {
    const { w, fired } = watch();
    [1, 1, 1, 1, 1, 1].forEach((m, i) => w.evaluation(100 * (i + 1), report(m, 10)));
    expect(fired.map((a) => [a.rule, a.step])).toEqual([['coverage-low', 300]]);
    // Stacked-MNIST's 1,000 modes: a young run at 1 mode is not a collapse by this rule.
    const stacked = watch();
    [1, 1, 1, 1].forEach((m, i) => stacked.w.evaluation(100 * (i + 1), report(m, 1000, NaN, 6.9)));
    expect(stacked.fired.map((a) => a.rule)).not.toContain('coverage-low');
    const healthy = watch();
    [1, 2, 5, 8, 10, 10].forEach((m, i) => healthy.w.evaluation(100 * (i + 1), report(m, 10)));
    expect(healthy.fired).toEqual([]);
  });
  it('coverage-drop: 30 % under the best for three evaluations; hq-drop; kl-rise', () => {
    const { w, fired } = watch();
    const seq: [number, number, number][] = [[8, 0.4, 0.1], [8, 0.4, 0.1], [8, 0.4, 0.1], [5, 0.05, 1.0], [5, 0.05, 1.0], [5, 0.05, 1.0]];
    seq.forEach(([m, hq, kl], i) => w.evaluation(100 * (i + 1), report(m, 8, hq, kl)));
    expect(fired.map((a) => a.rule).sort()).toEqual(['coverage-drop', 'hq-drop', 'kl-rise']);
    expect(fired.every((a) => a.step === 600)).toBe(true);
  });
  it('images: label-entropy-drop and feature-spread-drop below half their best at three evaluations; not on a young run that grows', () => {
    const digits = (entropy: number, spread: number) => ({ modes: 10, modes_max: 10, kl: 0.1, label_entropy: entropy, feature_spread: spread, n: 1000 }) as never;
    const { w, fired } = watch();
    // Healthy for three evaluations, then every sample becomes one digit drawn one way.
    [[2.2, 0.9], [2.25, 0.95], [2.2, 0.9], [1.0, 0.4], [0.9, 0.4], [1.1, 0.46]].forEach(([e, s], i) => w.evaluation(100 * (i + 1), digits(e, s)));
    expect(fired.map((a) => [a.rule, a.step])).toEqual([['label-entropy-drop', 600], ['feature-spread-drop', 600]]);
    // 1.2 is above half of 2.25: two evaluations below it in a row are not three.
    const recovering = watch();
    [[2.2, 0.9], [2.25, 0.95], [2.2, 0.9], [1.0, 0.4], [1.2, 0.5], [1.0, 0.4]].forEach(([e, s], i) => recovering.w.evaluation(100 * (i + 1), digits(e, s)));
    expect(recovering.fired).toEqual([]);
    const young = watch();
    [[0.1, 0.05], [0.3, 0.1], [1.1, 0.4], [2.0, 0.8], [2.2, 0.9]].forEach(([e, s], i) => young.w.evaluation(100 * (i + 1), digits(e, s)));
    expect(young.fired).toEqual([]);
  });
  it("d-loss-vanishing for objectives whose D loss is ≥ 0 (not WGAN's); G's gradient exploding", () => {
    const { w, fired } = watch();
    [0.5, 1e-4, 1e-4, 1e-4].forEach((d, i) => w.losses(100 * (i + 1), { d, grad_norm_G: 1 }));
    expect(fired.map((a) => [a.rule, a.step])).toEqual([['d-loss-vanishing', 400]]);
    const wgan = watch();
    [-0.5, 1e-4, 1e-4, 1e-4].forEach((d, i) => wgan.w.losses(100 * (i + 1), { d, grad_norm_G: 1 }));
    expect(wgan.fired).toEqual([]);
    const g = watch();
    [1, 10, 2e4].forEach((n, i) => g.w.losses(100 * (i + 1), { d: 1, grad_norm_G: n }));
    expect(g.fired.map((a) => a.rule)).toEqual(['g-grad-exploding']);
  });
});

describe('alarms on a real run', () => {
  const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
  const env = { ...process.env, GANTRY_THREADS: '1' };
  const gantry = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
  const root = mkdtempSync(join(tmpdir(), 'gantry-alarms-'));
  it('the minimax GAN on the 1200-D mixture raises coverage-low; --on-collapse stop exits 3 with a checkpoint and resumes', () => {
    const out = join(root, 'gan-highdim');
    const args = ['train', '--method', 'gan', '--dataset', 'highdim', '--steps', '500', '--eval-every', '100', '--quiet', '--out', out];
    const r = gantry(...args, '--on-collapse', 'stop');
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/collapse alarm at step 300: coverage-low: \d of 10 modes at 3 evaluations in a row/);
    expect(r.stderr).toContain(`stopped at step 300 by the collapse alarm coverage-low (--on-collapse stop); the checkpoint is saved. Continue with: gantry train --resume ${out} --on-collapse warn`);
    const alarms = readFileSync(join(out, 'alarms.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(alarms.map((a) => [a.rule, a.step])).toEqual([['coverage-low', 300]]);
    expect(existsSync(join(out, 'final.json'))).toBe(false);
    const again = gantry('train', '--resume', out, '--on-collapse', 'warn', '--quiet');
    expect(again.status, again.stderr).toBe(0);
    // The alarm raised before the checkpoint is not raised again.
    expect(again.stderr).not.toContain('coverage-low');
    expect(JSON.parse(readFileSync(join(out, 'final.json'), 'utf8')).modes).toBeLessThan(5);
  });
});
