// Image data: IDX files (errors name the file), the MNIST family as seeded samplers in [−1, 1].
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompositionalMnist, StackedMnist, imageSampler, loadDataset, loadMnist } from '../../src/data/index.js';
import { readIdx } from '../../src/data/idx.js';
import { manualSeed, scope } from '../../src/torch/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gantry-idx-'));
const file = (name: string, bytes: number[]) => {
  const p = join(dir, name);
  writeFileSync(p, Buffer.from(bytes));
  return p;
};

describe('IDX files', () => {
  it('reads a 2 × 2 uint8 array', () => {
    const r = readIdx(file('ok.idx', [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]));
    expect(r.shape).toEqual([2, 2]);
    expect([...r.data]).toEqual([1, 2, 3, 4]);
  });
  it('names the file on a truncated, corrupt or missing file', () => {
    expect(() => readIdx(file('short.idx', [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2]))).toThrow(/short\.idx: truncated or oversized IDX file/);
    expect(() => readIdx(file('bad.idx', [1, 2, 3, 4]))).toThrow(/bad\.idx: not an IDX file/);
    expect(() => readIdx(file('gz.idx', [0x1f, 0x8b, 1, 2, 3]))).toThrow(/gz\.idx: corrupt gzip data/);
    expect(() => readIdx(join(dir, 'none.idx'))).toThrow(/none\.idx: file not found/);
  });
  it('MNIST from the npm package: 60,000 training and 10,000 test digits', () => {
    expect(loadMnist('train').n).toBe(60_000);
    expect(loadMnist('test').n).toBe(10_000);
    expect(loadMnist('test').byClass.reduce((a, c) => a + c.shape[0], 0)).toBe(10_000);
  });
});

describe('image samplers', () => {
  it('shapes, pixel range, and the same batch from the same seed', () => {
    for (const [name, shape] of [['mnist', [4, 1, 28, 28]], ['stacked-mnist', [4, 3, 28, 28]], ['color-mnist', [4, 3, 32, 32]], ['compositional-mnist', [4, 1, 28, 84]]] as const) {
      const s = imageSampler(name);
      const draw = () => scope(() => {
        manualSeed(11);
        const { x, labels } = s.withLabels(4);
        return { shape: x.shape, min: x.min().item(), max: x.max().item(), v: x.sum().item(), l: labels.toNumbers() };
      });
      const a = draw();
      expect(a.shape).toEqual(shape);
      expect(a.min).toBeGreaterThanOrEqual(-1);
      expect(a.max).toBeLessThanOrEqual(1);
      expect(draw()).toEqual(a);
    }
  });
  it('Stacked-MNIST ids are 100·R + 10·G + B of the digits drawn', () => {
    manualSeed(12);
    const { labels } = new StackedMnist().withLabels(1000);
    const ids = labels.toNumbers();
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids)).toBeLessThanOrEqual(999);
    expect(new Set(ids).size).toBeGreaterThan(600); // 1000 draws from 1000 equally likely ids
  });
  it('the veegan protocol: a fixed set of triples from a seed, the same for every run', () => {
    const ids = (seed: number) => scope(() => {
      manualSeed(0);
      return new StackedMnist({ fixed: { count: 50, seed } }).withLabels(500).labels.toNumbers();
    });
    expect(new Set(ids(3)).size).toBeLessThanOrEqual(50);
    expect(ids(3)).toEqual(ids(3));
    expect(ids(4)).not.toEqual(ids(3));
  });
  it('compositional MNIST draws digit d with probability ∝ d + 1', () => {
    manualSeed(13);
    const ids = new CompositionalMnist().withLabels(3000).labels.toNumbers();
    const first = new Array(10).fill(0);
    ids.forEach((v) => first[Math.floor(v / 100)]++);
    expect(first[9] / 3000).toBeCloseTo(10 / 55, 1);
    expect(first[0] / 3000).toBeCloseTo(1 / 55, 1);
  });
  it('datasets by name carry their digit modes and a held-out sampler', () => {
    const d = loadDataset({ name: 'stacked-mnist' });
    expect(d.shape).toEqual({ kind: 'image', channels: 3, height: 28, width: 28 });
    expect(d.digits?.q).toHaveLength(1000);
    expect(d.heldOut!().shape).toEqual(d.shape);
  });
});
