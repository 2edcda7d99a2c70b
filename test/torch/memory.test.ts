// Deterministic memory: scopes free what they create; 5,000 W1 training steps leave the
// live-tensor count and the resident set flat.
import { describe, expect, it } from 'vitest';
import { Adam, mlp } from '../../src/nn/index.js';
import { F, keep, liveTensors, manualSeed, noGrad, ones, randn, scope, zeros } from '../../src/torch/index.js';

describe('scopes', () => {
  it('free intermediates and keep what is returned, nested', () => {
    const before = liveTensors();
    const out = scope(() => {
      const a = randn([3]);
      const inner = scope(() => ({ kept: a.mul(2), pair: [a.add(1)] }));
      a.sub(1);
      return inner.kept.add(inner.pair[0]);
    });
    expect(liveTensors()).toBe(before + 1);
    out.dispose();
    expect(liveTensors()).toBe(before);
  });
  it('free everything when the function throws', () => {
    const before = liveTensors();
    expect(() =>
      scope(() => {
        randn([3]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(liveTensors()).toBe(before);
  });
  it('keep() takes a tensor out of scope management', () => {
    const before = liveTensors();
    const k = scope(() => {
      keep(randn([2]));
      return null;
    });
    expect(k).toBeNull();
    expect(liveTensors()).toBe(before + 1);
  });
});

describe('5,000 W1 steps', () => {
  it('keep the live-tensor count and RSS flat', () => {
    manualSeed(0);
    const G = mlp(2, [128, 128], 2);
    const D = mlp(2, [128, 128], 1);
    const optG = new Adam(G.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
    const optD = new Adam(D.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
    const batch = 64;
    const real1 = keep(ones([batch, 1]));
    const fake0 = keep(zeros([batch, 1]));
    const step = () =>
      scope(() => {
        const x = randn([batch, 2]).add(2);
        const fake = noGrad(() => G.forward(randn([batch, 2])));
        const lossD = F.bceWithLogits(D.forward(x), real1).add(F.bceWithLogits(D.forward(fake), fake0));
        optD.zeroGrad();
        lossD.backward();
        optD.step();
        const lossG = F.bceWithLogits(D.forward(G.forward(randn([batch, 2]))), real1);
        optG.zeroGrad();
        lossG.backward();
        optG.step();
        return lossG.item();
      });
    for (let i = 0; i < 500; i++) step();
    const live = liveTensors();
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 4500; i++) step();
    expect(liveTensors()).toBe(live);
    const growthMb = (process.memoryUsage().rss - rss) / 2 ** 20;
    expect(growthMb).toBeLessThan(20);
  });
});
