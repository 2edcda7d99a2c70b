// A dataset's modes, as data: the target the mode metrics score against. Mixtures know their
// centres and σ; MNIST-family images know where their digits are and how their mode ids are
// distributed (docs/PROTOCOLS.md). Metrics read these; nothing here reads a metric.
import type { Tensor } from '../torch/index.js';
import { COMPOSITIONAL_DIGIT_WEIGHTS, type ImageDatasetName } from './images.js';
import type { GaussianMixture } from './mixture.js';

/** Mode centres, their σ, the high-quality threshold in σ units, and the true mode weights. */
export interface ModeTarget {
  means: Tensor;
  sigmas: number[];
  threshold: number;
  weights: number[];
}

export function targetOf(m: GaussianMixture): ModeTarget {
  return { means: m.means, sigmas: m.sigmas, threshold: m.threshold, weights: m.weights };
}

/** Where an image's digits are: one per channel (Stacked-MNIST), three side by side (compositional), or one. */
export type DigitLayout = 'channels' | 'side-by-side' | 'single';

/** Modes the counting classifier reads in images: the digit layout and the data's distribution q over mode ids. */
export interface DigitModes {
  layout: DigitLayout;
  q: number[];
}

/** Uniform over 10^k ids (Stacked-MNIST: k = 3; MNIST: k = 1). */
export const uniformModes = (k: number) => new Array(10 ** k).fill(10 ** -k);

/** The distribution of three-digit numbers when each digit is drawn independently with `w`. */
export function productModes(w: number[]): number[] {
  const q: number[] = [];
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) for (let c = 0; c < 10; c++) q.push(w[a] * w[b] * w[c]);
  return q;
}

/** How the counting classifier reads a dataset's modes (none for Fashion-MNIST): layout and mode distribution. */
export function digitModesOf(name: ImageDatasetName): DigitModes | undefined {
  return name === 'stacked-mnist' || name === 'color-mnist'
    ? { layout: 'channels', q: uniformModes(3) }
    : name === 'compositional-mnist'
      ? { layout: 'side-by-side', q: productModes(COMPOSITIONAL_DIGIT_WEIGHTS) }
      : name === 'mnist'
        ? { layout: 'single', q: uniformModes(1) }
        : undefined;
}
