// The IDX format of MNIST and Fashion-MNIST (LeCun's files; gzip-compressed in Debian's package):
// a magic number whose third byte is the element type (0x08 = uint8) and fourth the number of
// dimensions, then one big-endian uint32 per dimension, then the data.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFileError } from './files.js';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new DataFileError(`${path}: file not found`);
  let buf: Buffer = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataFileError(`${path}: corrupt gzip data (${(e as Error).message}); reinstall the package that provides it`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DataFileError(`${path}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new DataFileError(`${path}: IDX element type 0x${buf[2].toString(16)} is not supported (only uint8)`);
  const ndim = buf[3];
  if (buf.length < 4 + 4 * ndim) throw new DataFileError(`${path}: truncated IDX header`);
  const shape = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndim;
  if (buf.length !== offset + size) {
    throw new DataFileError(`${path}: truncated or oversized IDX file: header says ${size} bytes of data for shape [${shape}], found ${buf.length - offset}`);
  }
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, size) };
}
