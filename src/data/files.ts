// Reading a user's points, mode centres and sigmas: CSV (comma, whitespace or semicolon separated,
// optional header row) and NumPy .npy (float32/float64, 2-D, C order). Every problem names the file
// and, for CSV, the line.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { writeFileAtomic, type Tensor } from '../torch/index.js';

export class DataFileError extends Error {}

/** Why a path cannot be read as a file: missing, a broken symbolic link, or a folder; null when it is a file. */
export function fileProblem(path: string): string | null {
  let link: string | null = null;
  try {
    if (lstatSync(path).isSymbolicLink()) link = readlinkSync(path);
  } catch {
    return 'no such file';
  }
  if (!existsSync(path)) return link !== null ? `a symbolic link to ${link}, which does not exist` : 'no such file';
  if (statSync(path).isDirectory()) return 'a folder, not a file';
  return null;
}

/** Text of a file, a UTF-8 byte-order mark dropped (editors on Windows write one). */
export const readText = (path: string): string => readFileSync(path, 'utf8').replace(/^\uFEFF/, '');

/** A file's sha256 (hex): what a run records of its data, and the evaluator of its weights, to notice a change. */
export const fileSha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function fail(file: string, why: string, line?: number): never {
  throw new DataFileError(`${file}${line !== undefined ? `, line ${line}` : ''}: ${why}`);
}

/** A plain decimal number (1, -2.5, .5, 3e-4); not hex, not Infinity, not an empty cell. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function readCsv(file: string, { dim }: { dim?: number } = {}): number[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.includes('\u0000') || text.includes('\ufffd')) fail(file, 'not a text file (it holds binary data): give points as CSV text or a NumPy .npy file');
  const rows: number[][] = [];
  const lines = text.split(/\r?\n/);
  const firstContent = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // Comma- or semicolon-separated cells (each one counted, so an empty cell is caught), else whitespace.
    const cells = /[,;]/.test(line) ? line.split(/\s*[,;]\s*/) : line.split(/\s+/);
    const bad = cells.findIndex((c) => !DECIMAL.test(c));
    if (bad >= 0) {
      // One header row of names is allowed before any data.
      if (rows.length === 0 && i === firstContent && cells.every((c) => c !== '' && !DECIMAL.test(c))) return;
      fail(file, cells[bad] === '' ? `empty cell in column ${bad + 1}` : `'${cells[bad]}' is not a decimal number`, i + 1);
    }
    const values = cells.map(Number);
    if (values.some((v) => !Number.isFinite(v))) fail(file, 'a value too large to be finite', i + 1);
    if (rows.length && values.length !== rows[0].length) fail(file, `${values.length} columns but earlier rows have ${rows[0].length} (ragged rows)`, i + 1);
    if (dim !== undefined && values.length !== dim) fail(file, `${values.length} columns but the data has dimension ${dim}`, i + 1);
    rows.push(values);
  });
  if (rows.length === 0) fail(file, 'no data rows (the file is empty)');
  return rows;
}

export interface NpyArray {
  /** float32, float64 or uint8 ('<f4', '<f8', '|u1'). */
  descr: string;
  shape: number[];
  data: Float32Array | Float64Array | Uint8Array;
}

/** A NumPy .npy file (version 1–3, C order) of float32, float64 or uint8. */
export function readNpyArray(file: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    fail(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(file, 'not a .npy file (bad magic)');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  if (buf.length < start + headerLen || !/'shape':\s*\([^)]*\)/.test(header)) {
    fail(file, `the .npy header is cut short or damaged (${buf.length} bytes in the file, the header alone needs ${start + headerLen}): save it again with np.save`);
  }
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '?';
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const width = { '<f4': 4, '<f8': 8, '|u1': 1, '<u1': 1 }[descr];
  if (!width) fail(file, `dtype ${descr} unsupported: save float32, float64 or uint8 (np.save(f, x.astype('float32')))`);
  if (fortran) fail(file, 'Fortran-ordered array: save np.ascontiguousarray(x)');
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + headerLen);
  if (body.length < count * width) fail(file, `truncated: shape (${shape}) needs ${count * width} bytes, found ${body.length}`);
  // Copy into an aligned buffer (the body's offset in the file need not be a multiple of 8).
  const bytes = new Uint8Array(body.subarray(0, count * width));
  const data = width === 4 ? new Float32Array(bytes.buffer) : width === 8 ? new Float64Array(bytes.buffer) : bytes;
  return { descr, shape, data };
}

export function readNpy(file: string, { dim }: { dim?: number } = {}): number[][] {
  const { descr, shape, data } = readNpyArray(file);
  if (descr !== '<f4' && descr !== '<f8') fail(file, `dtype ${descr} unsupported for points: save float32 or float64`);
  if (shape.length !== 2) fail(file, `expected a 2-D array [n, dim], got shape (${shape})`);
  const [n, d] = shape;
  if (n === 0) fail(file, 'no data rows (the array is empty)');
  if (dim !== undefined && d !== dim) fail(file, `${d} columns but the data has dimension ${dim}`);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(data.subarray(i * d, (i + 1) * d));
    const j = row.findIndex((v) => !Number.isFinite(v));
    if (j >= 0) fail(file, `row ${i} column ${j} is ${row[j]}`);
    rows.push(row);
  }
  return rows;
}

export function readPoints(file: string, o: { dim?: number } = {}): number[][] {
  return extname(file).toLowerCase() === '.npy' ? readNpy(file, o) : readCsv(file, o);
}

/** `--sigma 0.05` or `--sigma 0.05,0.1,...` (one per mode) or a file with one σ per line. */
export function parseSigma(arg: string, modes: number): number | number[] {
  const cells = arg.split(',').map((c) => c.trim());
  if (cells.length === 1 && !DECIMAL.test(cells[0])) {
    const fromFile = readCsv(arg).map((r) => r[0]);
    return checkSigmas(fromFile, modes, arg);
  }
  const bad = cells.find((c) => !DECIMAL.test(c));
  if (bad !== undefined) throw new DataFileError(`--sigma: '${bad}' is not a decimal number (give one σ, one per mode comma-separated, or a file)`);
  const values = cells.map(Number);
  return values.length === 1 ? checkSigmas(values, 1, '--sigma')[0] : checkSigmas(values, modes, '--sigma');
}
function checkSigmas(values: number[], modes: number, source: string): number[] {
  if (values.some((v) => !(v > 0) || !Number.isFinite(v))) throw new DataFileError(`${source}: every sigma must be a positive number`);
  if (values.length !== modes) throw new DataFileError(`${source}: ${values.length} sigmas for ${modes} modes (give one, or one per mode)`);
  return values;
}

/** Writes a tensor as float32 NumPy .npy (version 1.0, C order), readable with numpy.load. */
export function writeNpy(path: string, t: Tensor): void {
  const shape = t.shape;
  const data = t.to('float32').contiguous().toArray() as Float32Array;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileAtomic(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
