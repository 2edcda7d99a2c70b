// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, __metadata__: {string: string}}, then the raw bytes.
// Files written here load in Python with safetensors.torch.load_file. gantry adds the sha256 of
// the data bytes to the metadata (`sha256`), so a damaged file is detected when it is read.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './disk.js';
import { type DType, Tensor } from './tensor.js';
import { tensor } from './creation.js';

const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL' };
const DTYPES = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k as DType]));
const WIDTH: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

export function serialize(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const a = t.toArray();
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  header.__metadata__ = { ...metadata, sha256: hash.digest('hex') };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...chunks]);
}

export function deserialize(buf: Buffer, source = 'buffer'): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const bad = (why: string) => new Error(`${source} is not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw bad('shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw bad(`header length ${n} runs past the end of the file (${buf.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  const { __metadata__, ...entries } = header as Record<string, never>;
  const data = buf.subarray(8 + n);
  const expected = (__metadata__ as Record<string, string> | undefined)?.sha256;
  if (expected && createHash('sha256').update(data).digest('hex') !== expected) {
    throw bad(`its data does not match the sha256 in its header (truncated or damaged: ${data.length} data bytes)`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(entries) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][]) {
    const dtype = DTYPES[e.dtype];
    if (!dtype) throw bad(`tensor '${name}' has unsupported dtype ${e.dtype}`);
    const [begin, end] = e.data_offsets;
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== numel * WIDTH[dtype] || end > data.length) throw bad(`tensor '${name}' has inconsistent offsets`);
    const bytes = new Uint8Array(data.subarray(begin, end)); // copy: aligned for the typed array view
    const view =
      dtype === 'float32' ? new Float32Array(bytes.buffer)
      : dtype === 'float64' ? new Float64Array(bytes.buffer)
      : dtype === 'int64' ? new BigInt64Array(bytes.buffer)
      : dtype === 'int32' ? new Int32Array(bytes.buffer)
      : bytes;
    const t = tensor(view, { shape: e.shape });
    tensors[name] = dtype === 'bool' ? t.to('bool') : t;
  }
  return { tensors, metadata: (__metadata__ ?? {}) as Record<string, string> };
}

/** A safetensors file, written atomically; `previous` as in writeFileAtomic. */
export function saveFile(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, previous?: string): void {
  writeFileAtomic(path, serialize(tensors, metadata), previous);
}

export function loadFile(path: string) {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  return deserialize(buf, path);
}
