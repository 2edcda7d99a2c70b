// The lens of Tempered Adversarial Networks as a wrapper over any objective: its schedule, the
// identity when switched off, its return to the identity after K steps, and what a run shows of it.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdversarialMethod, METHODS } from '../../src/methods/index.js';
import { Lens } from '../../src/methods/lens.js';
import { buildRun } from '../../src/train/config.js';
import { trainToDir } from '../../src/train/run.js';
import { manualSeed, noGrad, type Tensor } from '../../src/torch/index.js';

const params = (m: { parameters(): Tensor[] }) => m.parameters().map((p) => p.toNumbers());
const ring = (method: string, methodOptions: Record<string, number>, steps: number) => {
  const run = buildRun({ method, methodOptions, steps, seed: 6, evalEvery: 0, checkpointEvery: 0, evalSamples: 100, protocol: { batchSize: 64, hidden: [32, 32] } });
  const losses: Record<string, number>[] = [];
  run.trainer.on('step', ({ losses: l }) => losses.push(l));
  run.trainer.run();
  return { run, method: run.method as AdversarialMethod, losses };
};

describe('the lens', () => {
  it('λ = 1 − sin(tπ/2K) for t ≤ K, then 0; K = 0 switches the adversarial term off', () => {
    const lens = new Lens(null as never, 1000);
    expect(lens.lambda(0)).toBe(1);
    expect(lens.lambda(500)).toBeCloseTo(1 - Math.SQRT1_2, 12);
    expect(lens.lambda(1000)).toBeCloseTo(0, 12);
    expect(lens.lambda(1001)).toBe(0);
    expect(new Lens(null as never, 0).lambda(0)).toBe(0);
  });
  it('exists for gan, nsgan, lsgan and wgan-gp, with the wrapped method\u2019s own options', () => {
    for (const id of ['gan', 'nsgan', 'lsgan', 'wgan-gp']) expect(METHODS[`lens-${id}`]).toBeDefined();
    expect(() => buildRun({ method: 'lens-wgan-gp', methodOptions: { lambda: 10, K: 50 }, steps: 1, evalEvery: 0 })).not.toThrow();
  });
  it('K follows the budget when not given (steps / 2 below 2·10^5 steps), and config.json says so', () => {
    expect(buildRun({ method: 'lens-gan', steps: 1000, evalEvery: 0 }).config.methodOptions.K).toBe(500);
    expect(buildRun({ method: 'lens-gan', steps: 300_000, evalEvery: 0 }).config.methodOptions.K).toBe(100_000);
    expect(buildRun({ method: 'lens-gan', methodOptions: { K: 70 }, steps: 1000, evalEvery: 0 }).config.methodOptions.K).toBe(70);
  });
  it('with λ = 0 and the identity lens it starts as, the wrapped objective is unchanged: G and D equal plain gan\u2019s', () => {
    const a = ring('lens-gan', { K: 0 }, 40);
    const b = ring('gan', {}, 40);
    expect(params(a.method.G)).toEqual(params(b.method.G));
    expect(params(a.method.D)).toEqual(params(b.method.D));
    manualSeed(1);
    const x = a.run.data.sampler.sample(16);
    expect(noGrad(() => a.method.modules.L.forward(x)).toNumbers()).toEqual(x.toNumbers());
  });
  it('the lens moves away from the identity while λ is large and comes back to it after K steps', () => {
    const { losses } = ring('lens-nsgan', { K: 150 }, 450);
    const rec = losses.map((l) => l.lens_rec);
    const peak = Math.max(...rec.slice(0, 150));
    const end = rec.slice(-20).reduce((a, b) => a + b, 0) / 20;
    expect(peak).toBeGreaterThan(1e-3);
    expect(end).toBeLessThan(0.1 * peak);
    expect(losses.at(-1)!.lambda).toBe(0);
  });
  it('an image run shows real vs lensed samples at every evaluation and plots λ and the reconstruction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-lens-'));
    trainToDir({ method: 'lens-lsgan', dataset: { name: 'mnist' }, preset: 'quick', steps: 4, evalEvery: 2, evalSamples: 64, checkpointEvery: 0, protocol: { batchSize: 8 } }, dir);
    for (const f of ['lensed-step0000002.png', 'lensed-step0000004.png', 'lens.png']) expect(existsSync(join(dir, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).methodOptions.K).toBe(2);
  });
});
