// A user's own images: a folder of PNG/JPEG files (decoded with pngjs and jpeg-js, resized
// bilinearly to size × size, 1 or 3 channels), or CIFAR-10's binary batches from a path the user
// gives (gantry cannot ship CIFAR-10). Held in memory as uint8, drawn as [−1, 1] batches; every
// unreadable, truncated or wrong-size file is named in the error.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { F, keep, noGrad, randint, tensor, type Tensor } from '../torch/index.js';
import { DataFileError, fileProblem, readNpyArray } from './files.js';
import type { Sampler } from './mixture.js';
import { image, type DataShape } from './shape.js';

/** uint8 images [n, c, h, w] sampled uniformly with replacement. */
export class ImageSet implements Sampler {
  readonly shape: DataShape;
  readonly images: Tensor;
  constructor(images: Tensor) {
    const [, c, h, w] = images.shape;
    this.shape = image(c, h, w);
    this.images = keep(images);
  }
  get size(): number {
    return this.images.shape[0];
  }
  sample(n: number): Tensor {
    return this.images.indexSelect(0, randint(0, this.size, [n])).to('float32').div(127.5).sub(1);
  }
}

function decode(path: string): { width: number; height: number; rgba: Uint8Array } {
  const buf = readFileSync(path);
  try {
    if (extname(path).toLowerCase() === '.png') {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
    }
    const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: j.width, height: j.height, rgba: j.data };
  } catch (e) {
    throw new DataFileError(`${path}: cannot decode this image (${(e as Error).message}); is the file truncated or not really ${extname(path).slice(1).toUpperCase()}?`);
  }
}

/** What reading a folder changed: "32×32 RGB → 28×28 grey" and how many files, with the first file's name. */
export type Conversions = Map<string, { count: number; first: string }>;

const isGrey = (rgba: Uint8Array) => {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  return true;
};

/**
 * Every .png/.jpg/.jpeg in `dir` (sorted by name), resized to size × size (or size × width) with
 * `channels` channels; `conversions` (when given) collects what was resized or turned grey.
 */
export function readImageFolder(
  dir: string,
  { size, channels, width: outW = size, flag = '--images', conversions }: { size: number; channels: 1 | 3; width?: number; flag?: string; conversions?: Conversions },
): ImageSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataFileError(`${flag} ${dir}: not a folder`);
  const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f) && statSync(join(dir, f)).isFile()).sort();
  if (files.length === 0) throw new DataFileError(`${flag} ${dir}: no .png, .jpg or .jpeg files in this folder`);
  const out = new Uint8Array(files.length * channels * size * outW);
  noGrad(() => {
    files.forEach((f, i) => {
      const { width, height, rgba } = decode(join(dir, f));
      if (conversions) {
        const grey = isGrey(rgba);
        if (width !== outW || height !== size || (channels === 1 && !grey)) {
          const what = `${width}×${height} ${grey ? 'grey' : 'RGB'} → ${outW}×${size} ${channels === 1 ? 'grey' : 'RGB'}`;
          const seen = conversions.get(what);
          conversions.set(what, { count: (seen?.count ?? 0) + 1, first: seen?.first ?? f });
        }
      }
      // [h, w, 4] → [1, c, h, w] floats, resized on the engine, back to bytes.
      const rgb = tensor(rgba, { shape: [height, width, 4], dtype: 'uint8' }).narrow(2, 0, 3).permute(2, 0, 1).to('float32');
      const pixels = channels === 1 ? rgb.mul(tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0, true) : rgb;
      const resized = height === size && width === outW ? pixels.unsqueeze(0) : F.interpolateBilinear(pixels.unsqueeze(0), [size, outW]);
      out.set(Uint8Array.from(resized.clamp(0, 255).round().toNumbers()), i * channels * size * outW);
      rgb.dispose();
    });
  });
  return new ImageSet(tensor(out, { shape: [files.length, channels, size, outW], dtype: 'uint8' }));
}

/**
 * CIFAR-10's binary version: data_batch_1..5.bin in a folder (or one .bin file), each record one
 * label byte then 3072 bytes (1024 red, 1024 green, 1024 blue, row-major 32×32).
 */
export function readCifar10(path: string): ImageSet {
  if (!existsSync(path)) throw new DataFileError(`--cifar10 ${path}: no such file or folder`);
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => /^data_batch_\d\.bin$/.test(f)).sort().map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new DataFileError(`--cifar10 ${path}: no data_batch_N.bin files (the "CIFAR-10 binary version" from the CIFAR website)`);
  const record = 3073;
  const parts = files.map((f) => {
    const buf = readFileSync(f);
    if (buf.length === 0 || buf.length % record !== 0) throw new DataFileError(`${f}: ${buf.length} bytes is not a whole number of 3,073-byte CIFAR-10 records (truncated, or not CIFAR-10's binary version)`);
    const n = buf.length / record;
    const px = new Uint8Array(n * 3072);
    for (let i = 0; i < n; i++) {
      if (buf[i * record] > 9) throw new DataFileError(`${f}: record ${i + 1} has label ${buf[i * record]}, CIFAR-10 labels are 0–9`);
      px.set(buf.subarray(i * record + 1, (i + 1) * record), i * 3072);
    }
    return px;
  });
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new ImageSet(tensor(all, { shape: [all.length / 3072, 3, 32, 32], dtype: 'uint8' }));
}

export interface SampleReading {
  /** The value range of float arrays: [−1, 1] (gantry's own) or [0, 1]; undefined: [−1, 1], with a warning when every value is ≥ 0. */
  range?: '-1,1' | '0,1';
  /** Resize and convert image files that are not of the reference's size and channels (refused otherwise). */
  convert?: boolean;
  warn?: (s: string) => void;
}

/**
 * Generated images for `gantry eval-images`, as float32 [n, c, h, w] in [−1, 1] of the reference's
 * shape: a folder of PNG/JPEG files, or a .npy array: uint8 [n, h, w] or [n, h, w, c] (0–255), or
 * float32/float64 [n, c, h, w] (or [n, h, w] for one channel) in [−1, 1] or, with range '0,1', [0, 1].
 * Both are shape-strict: files of another size or colour are refused unless `convert` is set, and
 * then what was converted is said.
 */
export function readImageSamples(path: string, shape: DataShape & { kind: 'image' }, o: SampleReading = {}): Tensor {
  const [c, h, w] = [shape.channels, shape.height, shape.width];
  const want = `${c}×${h}×${w}`;
  if (!existsSync(path)) throw new DataFileError(`--samples ${path}: ${fileProblem(path) === 'no such file' ? 'no such file or folder' : fileProblem(path)}`);
  if (statSync(path).isDirectory()) {
    if (c !== 1 && c !== 3) throw new DataFileError(`--samples ${path}: the reference has ${c} channels; image files give 1 or 3`);
    const conversions: Conversions = new Map();
    const set = readImageFolder(path, { size: h, width: w, channels: c, flag: '--samples', conversions });
    const said = [...conversions].map(([what, { count, first }]) => `${count} file(s) ${what} (first: ${first})`).join('; ');
    if (said && !o.convert) {
      set.images.dispose();
      throw new DataFileError(`--samples ${path}: the reference's images are ${w}×${h} ${c === 1 ? 'grey' : 'RGB'}, and ${said}; save them at that size, or pass --convert to resize and convert them`);
    }
    if (said) o.warn?.(`--samples ${path}: converted ${said}`);
    return noGrad(() => set.images.to('float32').div(127.5).sub(1));
  }
  if (extname(path).toLowerCase() !== '.npy') throw new DataFileError(`--samples ${path}: give a folder of PNG/JPEG files or a .npy array`);
  const { descr, shape: s, data } = readNpyArray(path);
  const bad = (why: string): never => {
    throw new DataFileError(`--samples ${path}: ${why}; the reference's images are ${want} (uint8 [n, h, w] or [n, h, w, c], or float [n, c, h, w] in [−1, 1])`);
  };
  if (s[0] === 0) bad('the array is empty');
  return noGrad(() => {
    if (descr.endsWith('u1')) {
      let x: Tensor;
      if (s.length === 3 && c === 1 && s[1] === h && s[2] === w) x = tensor(data, { shape: [s[0], 1, h, w], dtype: 'uint8' });
      else if (s.length === 4 && s[1] === h && s[2] === w && s[3] === c) x = tensor(data, { shape: s, dtype: 'uint8' }).permute(0, 3, 1, 2).contiguous();
      else return bad(`uint8 array of shape (${s})`);
      return x.to('float32').div(127.5).sub(1);
    }
    let x: Tensor;
    if (s.length === 4 && s[1] === c && s[2] === h && s[3] === w) x = tensor(data, { shape: s, dtype: descr === '<f8' ? 'float64' : 'float32' });
    else if (s.length === 3 && c === 1 && s[1] === h && s[2] === w) x = tensor(data, { shape: [s[0], 1, h, w], dtype: descr === '<f8' ? 'float64' : 'float32' });
    else return bad(`float array of shape (${s})`);
    x = x.to('float32');
    const [lo, hi] = [x.min().item(), x.max().item()];
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) bad('the array holds NaN or infinite values');
    if (o.range === '0,1') {
      if (lo < -0.001 || hi > 1.001) bad(`float values span [${lo.toFixed(3)}, ${hi.toFixed(3)}], outside [0, 1] (--range 0,1)`);
      return x.mul(2).sub(1);
    }
    if (lo < -1.001 || hi > 1.001) bad(`float values span [${lo.toFixed(3)}, ${hi.toFixed(3)}], outside [−1, 1] (for [0, 1] images pass --range 0,1)`);
    if (lo >= 0 && o.range === undefined) {
      o.warn?.(`--samples ${path}: every value is in [0, 1] (${lo.toFixed(3)} to ${hi.toFixed(3)}); read as [−1, 1] images, where 0 is mid-grey. If they are [0, 1] images, pass --range 0,1 (--range -1,1 silences this)`);
    }
    return x;
  });
}
