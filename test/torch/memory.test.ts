// Deterministic memory: scopes free what they create; 5,000 W1 training steps leave the
// live-tensor count and the resident set flat.
import { describe, expect, it } from 'vitest';
import { w1 } from '../../perf/workloads.js';
import { cpuAllocatorStats, emptyCache, full, keep, liveTensors, manualSeed, randn, scope, zeros } from '../../src/torch/index.js';

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
    const w = w1(128, 64);
    for (let i = 0; i < 500; i++) w.step();
    const live = liveTensors();
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 4500; i++) w.step();
    expect(liveTensors()).toBe(live);
    const growthMb = (process.memoryUsage().rss - rss) / 2 ** 20;
    expect(growthMb).toBeLessThan(20);
  });
});

describe('the caching CPU allocator', () => {
  it('serves a repeated step from released blocks, hands out clean tensors, and empties', () => {
    expect(cpuAllocatorStats().caching).toBe(true);
    // 300 x 301 float32: a size nothing else in this file allocates.
    const step = () => scope(() => full([300, 301], 7).add(1).sum().item());
    expect(step()).toBe(8 * 300 * 301);
    const before = cpuAllocatorStats();
    expect(step()).toBe(8 * 300 * 301);
    const after = cpuAllocatorStats();
    // Both 361 KB buffers of the second step (full, add) came from the cache.
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(2);
    // A reused block carries no old values into a new tensor.
    expect(scope(() => zeros([300, 301]).abs().sum().item())).toBe(0);
    expect(after.cachedBytes).toBeGreaterThan(0);
    expect(after.cachedBytes).toBeLessThanOrEqual(after.capBytes);
    emptyCache();
    expect(cpuAllocatorStats().cachedBytes).toBe(0);
    expect(step()).toBe(8 * 300 * 301);
  });
});
