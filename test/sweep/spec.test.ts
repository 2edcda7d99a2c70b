// Sweep files: grid × random × seeds expansion, trial ids that are a hash of the resolved
// configuration (so a rerun finds its trials), and refusals that name the field, value and bound.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep, readSweepSpec, SweepSpecSchema, trialId } from '../../src/sweep/spec.js';
import { checkRungs } from '../../src/sweep/trial.js';

const spec = (s: unknown) => SweepSpecSchema.parse(s);

describe('expanding a sweep', () => {
  it('grid × seeds, the last axis fastest; a method variant sets its options', () => {
    const trials = expandSweep(spec({ base: { dataset: { name: 'ring' }, steps: 100 }, grid: { method: ['nsgan', 'wgan-gp:lambda=10'], 'protocol.lr': [1e-4, 1e-3] }, seeds: 2 }));
    expect(trials.map((t) => [t.point.method, t.point['protocol.lr'], t.seed])).toEqual([
      ['nsgan', 1e-4, 1], ['nsgan', 1e-4, 2], ['nsgan', 1e-3, 1], ['nsgan', 1e-3, 2],
      ['wgan-gp:lambda=10', 1e-4, 1], ['wgan-gp:lambda=10', 1e-4, 2], ['wgan-gp:lambda=10', 1e-3, 1], ['wgan-gp:lambda=10', 1e-3, 2],
    ]);
    expect(trials[4].config).toMatchObject({ method: 'wgan-gp', methodOptions: { lambda: 10 }, protocol: { lr: 1e-4 }, dataset: { name: 'ring' }, seed: 1 });
    expect(new Set(trials.map((t) => t.id)).size).toBe(8);
  });
  it('random draws are reproducible from the sweep\'s seed and stay in their ranges', () => {
    const s = spec({ base: { method: 'nsgan' }, random: { samples: 5, seed: 3, 'protocol.lr': { loguniform: [1e-5, 1e-2] }, 'protocol.ema': { choice: [0, 0.999] }, steps: { randint: [10, 12] } } });
    const a = expandSweep(s);
    expect(a.map((t) => t.id)).toEqual(expandSweep(s).map((t) => t.id));
    for (const t of a) {
      expect(t.point['protocol.lr']).toBeGreaterThanOrEqual(1e-5);
      expect(t.point['protocol.lr']).toBeLessThanOrEqual(1e-2);
      expect([0, 0.999]).toContain(t.point['protocol.ema']);
      expect([10, 11, 12]).toContain(t.point.steps);
    }
  });
  it('ids hash the resolved configuration: key order and spelled-out defaults do not change them, a value does', () => {
    const one = expandSweep(spec({ base: { method: 'nsgan', dataset: { name: 'ring' }, steps: 100 } }))[0];
    const same = expandSweep(spec({ base: { steps: 100, dataset: { name: 'ring' }, method: 'nsgan', checkpointEvery: 5000 } }))[0];
    const other = expandSweep(spec({ base: { method: 'nsgan', dataset: { name: 'ring' }, steps: 101 } }))[0];
    expect(same.id).toBe(one.id);
    expect(other.id).not.toBe(one.id);
    expect(trialId({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(trialId({ a: [{ x: 1, y: 2 }], b: 1 }));
  });
  it('refused before anything starts: an invalid field names the trial, the field, the value and the bound; too many trials', () => {
    expect(() => expandSweep(spec({ base: { method: 'nsgan' }, grid: { steps: [100, -5] } }))).toThrow(/trial \{"steps":-5\} seed 1: steps must be > 0, got -5/);
    expect(() => expandSweep(spec({ base: { method: 'nsgan' }, grid: { 'methodOptions.lambda': [1] } }))).toThrow(/invalid sweep: trial .*methodOptions/);
    expect(() => expandSweep(spec({ base: { method: 'nsgan' }, grid: { 'protocol.lr': [1, 2, 3] }, seeds: 5 }), 10)).toThrow(/expands to 15 trials \(3 settings × 5 seeds\), more than --max-trials 10/);
    expect(() => expandSweep(spec({ base: { method: 'nosuch' } }))).toThrow(/unknown method 'nosuch'/);
  });
  it('the file: unknown keys and empty axes are errors naming them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-spec-'));
    const f = join(dir, 's.yaml');
    writeFileSync(f, 'base: { method: nsgan }\ngrid: { steps: [] }\n');
    expect(() => readSweepSpec(f)).toThrow(/grid\.steps/);
    writeFileSync(f, 'base: { method: nsgan }\ngird: { steps: [1] }\n');
    expect(() => readSweepSpec(f)).toThrow(/gird/);
  });
  it("rungs must fall on the trials' evaluations", () => {
    const trials = expandSweep(spec({ base: { method: 'nsgan', steps: 1000, evalEvery: 100 } }));
    expect(() => checkRungs({ rule: 'asha', metric: 'modes', mode: 'max', grace: 150, eta: 3, minTrials: 3 }, trials)).toThrow(/rung at step 150 is not an evaluation step .*evalEvery 100/);
    expect(() => checkRungs({ rule: 'asha', metric: 'modes', mode: 'max', grace: 100, eta: 3, minTrials: 3 }, trials)).not.toThrow();
  });
});
