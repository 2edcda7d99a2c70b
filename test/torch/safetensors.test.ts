// safetensors files: the header and bytes against the format, round trips, checkpoints.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, BatchNorm1d, Linear, Sequential, loadCheckpoint, mlp, saveCheckpoint } from '../../src/nn/index.js';
import { manualSeed, randn, safetensors, scope, tensor } from '../../src/torch/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gantry-st-'));

describe('safetensors format', () => {
  it('writes an 8-byte LE header length, a JSON header and the raw little-endian bytes', () => {
    const path = join(dir, 'a.safetensors');
    safetensors.saveFile(path, { w: tensor([[1, 2], [3, 4]]), i: tensor([7, -1], { dtype: 'int64' }) }, { note: 'hi' });
    const buf = readFileSync(path);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    // The caller's metadata, plus the sha256 of the data bytes (checked when read).
    expect(header.__metadata__).toEqual({ note: 'hi', sha256: createHash('sha256').update(buf.subarray(8 + n)).digest('hex') });
    // Keys sorted: i first (16 bytes of int64), then w (16 bytes of float32).
    expect(header.i).toEqual({ dtype: 'I64', shape: [2], data_offsets: [0, 16] });
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [16, 32] });
    const data = buf.subarray(8 + n);
    expect(data.length).toBe(32);
    expect(data.readBigInt64LE(0)).toBe(7n);
    expect(data.readBigInt64LE(8)).toBe(-1n);
    expect([0, 4, 8, 12].map((o) => data.readFloatLE(16 + o))).toEqual([1, 2, 3, 4]);
  });
  it('round-trips every dtype', () => {
    const path = join(dir, 'b.safetensors');
    const src = {
      f32: randn([3, 2]),
      f64: randn([4], { dtype: 'float64' }),
      i32: tensor([1, -2, 3], { dtype: 'int32' }),
      u8: tensor([0, 255], { dtype: 'uint8' }),
      b: tensor([1, 0, 1], { dtype: 'bool' }),
    };
    safetensors.saveFile(path, src);
    const { tensors } = safetensors.loadFile(path);
    for (const [k, t] of Object.entries(src)) {
      expect(tensors[k].dtype).toBe(t.dtype);
      expect(tensors[k].shape).toEqual(t.shape);
      expect(tensors[k].toNumbers()).toEqual(t.toNumbers());
    }
  });
  it('rejects a corrupt file with a message naming it', () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    expect(() => safetensors.loadFile(path)).toThrow(/bad\.safetensors is not a valid safetensors file: header length 200/);
    expect(() => safetensors.loadFile(join(dir, 'missing.safetensors'))).toThrow(/cannot read checkpoint/);
  });
  it('a flipped data byte (same length, offsets intact) is caught by the sha256 in the header', () => {
    const path = join(dir, 'flipped.safetensors');
    safetensors.saveFile(path, { w: tensor([1, 2, 3, 4]) });
    const buf = readFileSync(path);
    buf[buf.length - 1] ^= 0x01;
    writeFileSync(path, buf);
    expect(() => safetensors.loadFile(path)).toThrow(/flipped\.safetensors is not a valid safetensors file: its data does not match the sha256/);
  });
});

describe('checkpoints', () => {
  it('restore modules, buffers and optimizer state exactly', () => {
    manualSeed(5);
    const make = () => new Sequential(new Linear(3, 4), new BatchNorm1d(4), new Linear(4, 1));
    const a = make();
    const opt = new Adam(a.parameters(), { lr: 0.01 });
    for (let i = 0; i < 3; i++) {
      scope(() => {
        opt.zeroGrad();
        a.forward(randn([8, 3])).square().mean().backward();
        opt.step();
      });
    }
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, { modules: { G: a }, optimizers: { G: opt } }, { step: 3 });
    const b = make();
    const optB = new Adam(b.parameters(), { lr: 0.5 });
    const meta = loadCheckpoint(path, { modules: { G: b }, optimizers: { G: optB } });
    expect(meta.step).toBe(3);
    expect(optB.lr).toBe(0.01);
    expect(optB.step_).toBe(3);
    for (const [k, t] of Object.entries(a.stateDict())) expect(b.stateDict()[k].toNumbers()).toEqual(t.toNumbers());
    const header = JSON.parse(readFileSync(path).subarray(8, 8 + Number(readFileSync(path).readBigUInt64LE(0))).toString());
    expect(Object.keys(header)).toContain('G.1.running_mean');
    expect(Object.keys(header)).toContain('optim.G.0.exp_avg');
  });
  it('a shape mismatch names the key and both shapes', () => {
    const path = join(dir, 'small.safetensors');
    saveCheckpoint(path, { modules: { D: mlp(2, [8], 1) } });
    expect(() => loadCheckpoint(path, { modules: { D: mlp(2, [16], 1) } })).toThrow(/module 'D'.*'0\.weight' has shape \[8,2\] in the file but \[16,2\]/);
  });
});
