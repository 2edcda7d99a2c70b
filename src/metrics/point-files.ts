// The mode metrics of any generator's points, read from files, against mode centres read from
// files: what `gantry eval-samples` prints.
import { DataFileError, parseSigma, readPoints } from '../data/files.js';
import { scope, tensor } from '../torch/index.js';
import { modeMetrics, type ModeReport } from './modes.js';

export interface PointFiles {
  /** Generated points (.csv or .npy). */
  samples: string;
  /** Mode centres (.csv or .npy), of the samples' dimension. */
  modes: string;
  /** σ: one number, one per mode (comma-separated), or a file. */
  sigma: string;
  /** High quality = within threshold·σ (default 3 for 2D, 10 above). */
  threshold?: number;
  /** True mode weights, one per mode (normalised; default uniform). */
  weights?: number[];
}

export function scorePointFiles(o: PointFiles): ModeReport {
  const means = readPoints(o.modes);
  const samples = readPoints(o.samples, { dim: means[0].length });
  const sigma = parseSigma(o.sigma, means.length);
  const weights = o.weights ?? new Array(means.length).fill(1);
  if (weights.length !== means.length || weights.some((w) => !(w >= 0))) {
    throw new DataFileError(`--weights: need ${means.length} non-negative numbers, one per mode`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new DataFileError('--weights: at least one mode weight must be positive');
  if (o.threshold !== undefined && !(o.threshold > 0)) throw new Error(`invalid --threshold: must be > 0 (in units of σ), got ${o.threshold}`);
  return scope(() =>
    modeMetrics(tensor(samples), {
      means: tensor(means),
      sigmas: typeof sigma === 'number' ? new Array(means.length).fill(sigma) : sigma,
      threshold: o.threshold ?? (means[0].length <= 2 ? 3 : 10),
      weights: weights.map((w) => w / total),
    }),
  );
}
