// `gantry export tensorboard`: a run folder as TensorBoard event files, so its curves and sample
// grids open in the tool people already use. An event file is TFRecord framing (uint64 length,
// masked CRC32C of the length, the payload, masked CRC32C of the payload) around `Event` protocol
// buffers from tensorflow/core/util/event.proto and summary.proto (the fields used here), encoded
// with protobufjs; CRC32C from crc-32.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { writeFileAtomic } from '../torch/index.js';

const require = createRequire(import.meta.url);
const crc32c = require('crc-32/crc32c') as { buf(b: Uint8Array, seed?: number): number };

/** The subset of TensorFlow's event.proto and summary.proto that scalars and images need. */
const PROTO = `
syntax = "proto3";
package tensorflow;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}
message Summary {
  message Image {
    int32 height = 1;
    int32 width = 2;
    int32 colorspace = 3;
    bytes encoded_image_string = 4;
  }
  message Value {
    string tag = 1;
    oneof value {
      float simple_value = 2;
      Image image = 4;
    }
  }
  repeated Value value = 1;
}
`;
const Event = protobuf.parse(PROTO).root.lookupType('tensorflow.Event');

/** TFRecord's masked CRC32C: rotate right by 15, add a constant. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c.buf(data) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the payload, its masked CRC. */
export function tfrecord(payload: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(payload.length));
  const c1 = Buffer.alloc(4);
  c1.writeUInt32LE(maskedCrc32c(len));
  const c2 = Buffer.alloc(4);
  c2.writeUInt32LE(maskedCrc32c(payload));
  return Buffer.concat([len, c1, Buffer.from(payload), c2]);
}

const event = (fields: Record<string, unknown>) => Event.encode(Event.create(fields)).finish();

/** A PNG's width and height from its IHDR chunk. */
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

/**
 * Writes `out/events.out.tfevents.<time>.<host>`: every loss, gradient norm and evaluation metric of
 * metrics.jsonl as scalars (losses/<name>, eval/<name>) at its step, and every sample grid as an
 * image (samples) at its evaluation's step. Returns the file and what it holds.
 */
export function exportTensorboard(dir: string, out = join(dir, 'tensorboard')): { file: string; scalars: number; images: number } {
  const metricsPath = join(dir, 'metrics.jsonl');
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`gantry: ${dir} is not a run folder (config.json is missing)`);
  const records: Buffer[] = [];
  const t0 = Date.now() / 1000;
  records.push(tfrecord(event({ wallTime: t0, fileVersion: 'brain.Event:2' })));
  let scalars = 0;
  let images = 0;
  const lines = existsSync(metricsPath) ? readFileSync(metricsPath, 'utf8').split('\n') : [];
  for (const l of lines) {
    let m: Record<string, unknown>;
    try {
      m = l ? JSON.parse(l) : null;
    } catch {
      continue; // a half-written last line
    }
    if (!m || typeof m.step !== 'number') continue;
    const value: { tag: string; simpleValue: number }[] = [];
    for (const [k, v] of Object.entries((m.losses as Record<string, number>) ?? {})) if (Number.isFinite(v)) value.push({ tag: `${k.startsWith('grad_norm_') ? 'grad_norms' : 'losses'}/${k}`, simpleValue: v });
    for (const [k, v] of Object.entries(m)) if (!['step', 'seconds', 'losses', 'n', 'event'].includes(k) && typeof v === 'number' && Number.isFinite(v)) value.push({ tag: `eval/${k}`, simpleValue: v });
    if (!value.length) continue;
    scalars += value.length;
    records.push(tfrecord(event({ wallTime: t0 + (Number(m.seconds) || 0), step: m.step, summary: { value } })));
  }
  for (const f of readdirSync(dir).filter((f) => /^samples-step\d+\.png$/.test(f)).sort()) {
    const png = readFileSync(join(dir, f));
    const { width, height } = pngSize(png);
    records.push(tfrecord(event({ wallTime: t0, step: Number(f.slice(12, -4)), summary: { value: [{ tag: 'samples', image: { height, width, colorspace: 4, encodedImageString: png } }] } })));
    images++;
  }
  mkdirSync(out, { recursive: true });
  const file = join(out, `events.out.tfevents.${Math.floor(t0)}.${hostname()}`);
  writeFileAtomic(file, Buffer.concat(records));
  return { file, scalars, images };
}
