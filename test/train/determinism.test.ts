// The loop is seeded: the same seed gives the same numbers; another seed does not.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRun } from '../../src/train/config.js';
import { evaluateRun } from '../../src/train/load.js';
import { trainToDir } from '../../src/train/run.js';
import { readFileSync } from 'node:fs';

const config = (seed: number) => ({ method: 'nsgan', steps: 30, seed, evalEvery: 0, checkpointEvery: 0, evalSamples: 500, protocol: { batchSize: 64, hidden: [32, 32] } });

function lossesOf(seed: number): number[] {
  const run = buildRun(config(seed));
  const out: number[] = [];
  run.trainer.on('step', ({ losses }) => out.push(losses.d, losses.g));
  const { report } = run.trainer.run();
  return [...out, report!.high_quality];
}

describe('determinism', () => {
  it('same seed, same losses and metrics; another seed differs', () => {
    const a = lossesOf(3);
    expect(lossesOf(3)).toEqual(a);
    expect(lossesOf(4)).not.toEqual(a);
  });
  it('gantry eval reproduces final.json from the checkpoint', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gantry-run-')), 'r');
    const { report } = trainToDir(config(5), dir);
    const final = JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8'));
    expect(final.modes).toBe(report!.modes);
    expect(evaluateRun(dir)).toEqual(report);
  });
});
