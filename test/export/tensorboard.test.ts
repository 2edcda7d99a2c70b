// TensorBoard export, read back with an independent parser: TFRecord framing and its masked
// CRC32C checked with a CRC written here from the definition (Castagnoli polynomial, reflected),
// and the Event / Summary protocol buffers decoded by a minimal wire-format reader written here,
// not by protobufjs that wrote them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32c = (b: Uint8Array) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const masked = (b: Uint8Array) => {
  const c = crc32c(b);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
};

type Field = { no: number; wire: number; value: bigint | Buffer };
/** Protocol-buffer wire format: (field number, wire type, varint / 64-bit / length-delimited / 32-bit value). */
function fields(b: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let s = 0n;
    for (;;) {
      const x = b[i++];
      v |= BigInt(x & 0x7f) << s;
      s += 7n;
      if (!(x & 0x80)) return v;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const [no, wire] = [key >> 3, key & 7];
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) (out.push({ no, wire, value: b.subarray(i, i + 8) }), (i += 8));
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ no, wire, value: b.subarray(i, i + n) });
      i += n;
    } else if (wire === 5) (out.push({ no, wire, value: b.subarray(i, i + 4) }), (i += 4));
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

it('a run exported to TensorBoard reads back: framing, CRCs, every scalar at its step, the sample grids', () => {
  const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
  const env = { ...process.env, GANTRY_THREADS: '1' };
  const out = join(mkdtempSync(join(tmpdir(), 'gantry-tb-')), 'run');
  expect(spawnSync(process.execPath, [cli, 'train', '--method', 'nsgan', '--dataset', 'mnist', '--preset', 'quick', '--steps', '6', '--eval-every', '3', '--eval-samples', '64', '--batch-size', '8', '--log-every', '1', '--quiet', '--out', out], { env }).status).toBe(0);
  const r = spawnSync(process.execPath, [cli, 'export', 'tensorboard', out], { encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  const [file] = readdirSync(join(out, 'tensorboard'));
  expect(file).toMatch(/^events\.out\.tfevents\.\d+\./);
  const buf = readFileSync(join(out, 'tensorboard', file));
  const events: Field[][] = [];
  for (let i = 0; i < buf.length; ) {
    const len = buf.subarray(i, i + 8);
    expect(buf.readUInt32LE(i + 8)).toBe(masked(len));
    const n = Number(buf.readBigUInt64LE(i));
    const payload = buf.subarray(i + 12, i + 12 + n);
    expect(buf.readUInt32LE(i + 12 + n)).toBe(masked(payload));
    events.push(fields(payload));
    i += 16 + n;
  }
  expect(events[0].find((f) => f.no === 3)!.value.toString()).toBe('brain.Event:2');
  // Scalars: (step, tag, value) from Event.step (2), Summary (5) → Value (1) → tag (1), simple_value (2, float).
  const scalars: [number, string, number][] = [];
  const images: [number, number, number][] = [];
  for (const e of events.slice(1)) {
    const step = Number(e.find((f) => f.no === 2)?.value ?? 0n);
    for (const v of fields(e.find((f) => f.no === 5)!.value as Buffer).filter((f) => f.no === 1)) {
      const vf = fields(v.value as Buffer);
      const tag = vf.find((f) => f.no === 1)!.value.toString();
      const simple = vf.find((f) => f.no === 2);
      if (simple) scalars.push([step, tag, (simple.value as Buffer).readFloatLE(0)]);
      const img = vf.find((f) => f.no === 4);
      if (img) {
        const im = fields(img.value as Buffer);
        const png = im.find((f) => f.no === 4)!.value as Buffer;
        expect(png.subarray(1, 4).toString()).toBe('PNG');
        images.push([step, Number(im.find((f) => f.no === 1)!.value), Number(im.find((f) => f.no === 2)!.value)]);
      }
    }
  }
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const l of lines) {
    const d = scalars.find(([s, t]) => s === l.step && t === 'losses/d');
    expect(d, `losses/d at step ${l.step}`).toBeDefined();
    expect(d![2]).toBeCloseTo(l.losses.d, 5);
    expect(scalars.some(([s, t]) => s === l.step && t === 'grad_norms/grad_norm_G')).toBe(true);
  }
  const evals = lines.filter((l) => 'modes' in l);
  expect(evals.map((l) => l.step)).toEqual([3, 6]);
  for (const l of evals) expect(scalars.find(([s, t]) => s === l.step && t === 'eval/modes')?.[2]).toBe(l.modes);
  expect(images.map(([s]) => s)).toEqual([3, 6]);
  expect(images[0].slice(1).every((v) => v > 28)).toBe(true);
});
