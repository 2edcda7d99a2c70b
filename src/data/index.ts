// Datasets by name, and a user's own files, resolved into a sampler plus (when modes are known)
// the target that the mode metrics score against.
import { keep, tensor } from '../torch/index.js';
import { digitModesOf, targetOf, type DigitModes, type ModeTarget } from './modes.js';
import { GaussianMixture, PointSet, grid, highDim, ring, type Sampler } from './mixture.js';
import { DataFileError, fileSha256, parseSigma, readPoints } from './files.js';
import { IMAGE_DATASETS, imageSampler, type ImageDatasetName } from './images.js';
import type { DataShape } from './shape.js';
import { readCifar10, readImageFolder } from './user-images.js';

export * from './mixture.js';
export * from './files.js';
export * from './shape.js';
export * from './images.js';
export * from './mnist.js';
export * from './user-images.js';
export * from './modes.js';

export const MIXTURES = ['ring', 'grid', 'highdim'] as const;
export const DATASETS = [...MIXTURES, ...IMAGE_DATASETS] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface DatasetOptions {
  /** ring | grid | highdim, or a path given with `data`. */
  name?: DatasetName;
  /** A user's points (.csv or .npy), instead of a named mixture. */
  data?: string;
  /** Mode centres for a user's data (.csv or .npy). */
  modes?: string;
  /** σ for the user's modes: one number, comma-separated per mode, or a file. */
  sigma?: string;
  /** High-quality threshold in σ units (3 for 2D, 10 for 1200-D by default). */
  threshold?: number;
  /** A folder of a user's PNG/JPEG images, resized to imageSize × imageSize with `channels` channels. */
  images?: string;
  imageSize?: number;
  channels?: 1 | 3;
  /** CIFAR-10's binary batches (a folder with data_batch_N.bin, or one file). */
  cifar10?: string;
  /** Stacked-MNIST as the veegan protocol: a fixed set of this many triples (128,000), drawn from `fixedSeed`. */
  fixedTriples?: number;
  fixedSeed?: number;
  /** The sha256 --data had when the run started (checked when given). */
  dataHash?: string;
  /** Mixture overrides: the ring's radius, the grid's spacing, σ of a named mixture. */
  radius?: number;
  spacing?: number;
  mixtureSigma?: number;
}

export interface Dataset {
  name: string;
  sampler: Sampler;
  shape: DataShape;
  /** Known modes, for the mode metrics; absent for a user's points without --modes. */
  target?: ModeTarget;
  /**
   * Modes the counting classifier reads in images: where the digits are, and the data's own
   * distribution over mode ids (uniform for Stacked-MNIST, the pinned digit weights for
   * compositional MNIST). Absent for images without digit modes (Fashion-MNIST).
   */
  digits?: DigitModes;
  /** Real images the generator never saw (test-set digits), for the real-data row of image tables. */
  heldOut?: () => Sampler;
}

export function loadDataset(o: DatasetOptions): Dataset {
  if (o.images) {
    const sampler = readImageFolder(o.images, { size: o.imageSize ?? 32, channels: o.channels ?? 3 });
    return { name: o.images, sampler, shape: sampler.shape };
  }
  if (o.cifar10) {
    const sampler = readCifar10(o.cifar10);
    return { name: `cifar10 (${o.cifar10})`, sampler, shape: sampler.shape };
  }
  if (o.data) {
    if (o.dataHash) {
      const now = fileSha256(o.data);
      if (now !== o.dataHash) {
        throw new DataFileError(`${o.data} has changed since the run started (sha256 ${o.dataHash.slice(0, 12)}… then, ${now.slice(0, 12)}… now): the run's metrics were measured on the old contents; restore the file or train again`);
      }
    }
    const sampler = new PointSet(readPoints(o.data));
    const dim = sampler.dim;
    if (!o.modes) {
      if (o.sigma) throw new DataFileError('--sigma needs --modes (the centres the sigmas belong to)');
      return { name: o.data, sampler, shape: sampler.shape };
    }
    const means = readPoints(o.modes, { dim });
    if (!o.sigma) throw new DataFileError(`--modes ${o.modes} needs --sigma (one value, one per mode, or a file)`);
    const sigma = parseSigma(o.sigma, means.length);
    const sigmas = typeof sigma === 'number' ? new Array(means.length).fill(sigma) : sigma;
    return {
      name: o.data,
      sampler,
      shape: sampler.shape,
      target: { means: keep(tensor(means)), sigmas, threshold: o.threshold ?? (dim <= 2 ? 3 : 10), weights: new Array(means.length).fill(1 / means.length) },
    };
  }
  const name = o.name ?? 'ring';
  if ((IMAGE_DATASETS as readonly string[]).includes(name)) return loadImageDataset(name as ImageDatasetName, o);
  let m: GaussianMixture;
  if (name === 'ring') m = ring({ radius: o.radius, sigma: o.mixtureSigma, threshold: o.threshold });
  else if (name === 'grid') m = grid({ spacing: o.spacing, sigma: o.mixtureSigma, threshold: o.threshold });
  else if (name === 'highdim') m = highDim({ sigma: o.mixtureSigma, threshold: o.threshold });
  else throw new Error(`unknown dataset '${name}': use ${DATASETS.join(', ')}, or --data points.csv`);
  return { name, sampler: m, shape: m.shape, target: targetOf(m) };
}

function loadImageDataset(name: ImageDatasetName, o: DatasetOptions): Dataset {
  const size = o.imageSize;
  if (size !== undefined && size !== 28 && size !== 32) {
    throw new Error(`--image-size ${size}: ${name} comes at 28 (its own size) or 32 (digits padded, as the lens paper), not ${size}`);
  }
  if (size === 32 && name === 'compositional-mnist') {
    throw new Error(`--image-size 32: compositional-mnist is 28×84 (three digits side by side) and cannot be padded to 32×32; leave --image-size out`);
  }
  if (size === 28 && name === 'color-mnist') {
    throw new Error(`--image-size 28: color-mnist is Stacked-MNIST at 32×32 by definition; use --dataset stacked-mnist for 28×28`);
  }
  const sampler = imageSampler(name, { fixedTriples: o.fixedTriples, fixedSeed: o.fixedSeed, size: size as 28 | 32 | undefined });
  const digits = digitModesOf(name);
  const heldOut = () => imageSampler(name, { split: 'test', size: size as 28 | 32 | undefined });
  const padded = size === 32 && name !== 'color-mnist' ? ' at 32×32' : '';
  return { name: (o.fixedTriples ? `${name} (${o.fixedTriples} fixed triples)` : name) + padded, sampler, shape: sampler.shape, digits, heldOut };
}
