// Mode counts read by the counting classifier (docs/PROTOCOLS.md): Stacked-MNIST (1000 modes: each
// channel's digit, id 100·R + 10·G + B), compositional MNIST (three digits side by side, a number
// in [0, 999]) and plain MNIST (10 modes).
//   modes = ids generated at least once; KL = Σ p·log(p/q) of the generated histogram p against the
//   data's q (uniform 1/1000 for Stacked-MNIST, so KL = Σ p·log(1000·p); full collapse = log 1000).
// The classifier's errors inflate the plain count (a 99.2 % classifier reads 25,600 real triples of
// only 137 ids as ~465 modes), and short training rewards noise, so two stricter counts stand beside
// it: modes from confident samples only (every digit's top probability ≥ threshold), and modes with
// at least 2 samples.
import type { MnistCnn } from '../evaluator/mnist-cnn.js';
import { cdist, noGrad, scope, type Tensor } from '../torch/index.js';
import type { DigitLayout } from '../data/modes.js';

export interface DigitModeReport {
  n: number;
  modes: number;
  modes_max: number;
  kl: number;
  modes_confident: number;
  confident_samples: number;
  modes_2plus: number;
  confidence: number;
  /** Entropy (nats) of the generated label histogram: log(modes_max) at uniform coverage, 0 at one mode. */
  label_entropy: number;
  /**
   * The samples' mean pairwise distance in the classifier's feature space divided by real images'
   * (about 1 for real data, 0 when every sample is the same image); absent where not measured.
   */
  feature_spread?: number;
  /** Ids never generated. */
  missing: number[];
  /** Count of each id. */
  histogram: number[];
}

/**
 * Splits images into their 28×28 digits: [n·k, 1, 28, 28] with k = 3 for Stacked-MNIST (channels;
 * 32×32 Color MNIST is center-cropped) and compositional MNIST (side by side), 1 for MNIST.
 */
export function digitsOf(x: Tensor, layout: DigitLayout): { digits: Tensor; perImage: number } {
  const [n, c, h, w] = x.shape;
  if (layout === 'side-by-side') {
    if (c !== 1 || h !== 28 || w !== 84) throw new Error(`compositional MNIST images are 1×28×84, got [${x.shape.slice(1)}]`);
    return { digits: x.view(n, 28, 3, 28).permute(0, 2, 1, 3).reshape(n * 3, 1, 28, 28), perImage: 3 };
  }
  const crop = h === 32 && w === 32 ? x.narrow(2, 2, 28).narrow(3, 2, 28) : x;
  if (crop.shape[2] !== 28 || crop.shape[3] !== 28) throw new Error(`the counting classifier reads 28×28 digits (or 32×32, center-cropped), got ${h}×${w}`);
  const k = layout === 'channels' ? 3 : 1;
  if (c !== k) throw new Error(`expected ${k} channel(s) for ${layout === 'channels' ? 'Stacked-MNIST' : 'MNIST'}, got ${c}`);
  return { digits: crop.reshape(n * k, 1, 28, 28), perImage: k };
}

/**
 * Mode ids, per-sample confidence (the smallest of its digits' top probabilities) and the
 * classifier's features [n, perImage·128] (its penultimate layer, the digits' side by side).
 */
export function readDigits(net: MnistCnn, x: Tensor, layout: DigitLayout): { ids: number[]; confidence: number[]; features: Tensor } {
  return scope(() =>
    noGrad(() => {
      const { digits, perImage } = digitsOf(x, layout);
      const h = net.features(digits);
      const { values, indices } = net.fc2.forward(h).softmax(1).max(1);
      const d = indices.toNumbers();
      const p = values.toNumbers();
      const n = d.length / perImage;
      const ids: number[] = [];
      const confidence: number[] = [];
      for (let i = 0; i < n; i++) {
        let id = 0;
        let conf = 1;
        for (let j = 0; j < perImage; j++) {
          id = id * 10 + d[i * perImage + j];
          conf = Math.min(conf, p[i * perImage + j]);
        }
        ids.push(id);
        confidence.push(conf);
      }
      return { ids, confidence, features: h.reshape(n, perImage * 128) };
    }),
  );
}

/** The mean distance between the rows of f [n, d] over the n(n − 1) ordered pairs of distinct rows (float64). */
export function meanPairwiseDistance(f: Tensor): number {
  const n = f.shape[0];
  if (n < 2) throw new Error(`the mean pairwise distance needs at least 2 samples, got ${n}`);
  return scope(() => noGrad(() => {
    const x = f.to('float64');
    // Above the diagonal only: the diagonal is 0 up to rounding (cdist's matrix-product path).
    return (2 * cdist(x, x).triu(1).sum().item()) / (n * (n - 1));
  }));
}

/** The report from ids (and confidences) against the data's distribution q over `q.length` modes. */
export function modeReport(ids: number[], confidence: number[], q: number[], threshold = 0.99): DigitModeReport {
  const K = q.length;
  const histogram = new Array(K).fill(0);
  const confident = new Set<number>();
  ids.forEach((id, i) => {
    histogram[id]++;
    if (confidence[i] >= threshold) confident.add(id);
  });
  const n = ids.length;
  let kl = 0;
  let entropy = 0;
  for (let k = 0; k < K; k++) {
    if (histogram[k] === 0) continue;
    const p = histogram[k] / n;
    kl += p * Math.log(p / q[k]);
    entropy -= p * Math.log(p);
  }
  return {
    n,
    modes: histogram.filter((c) => c > 0).length,
    modes_max: K,
    kl,
    modes_confident: confident.size,
    confident_samples: confidence.filter((c) => c >= threshold).length,
    modes_2plus: histogram.filter((c) => c >= 2).length,
    confidence: threshold,
    label_entropy: entropy,
    missing: histogram.flatMap((c, k) => (c === 0 ? [k] : [])),
    histogram,
  };
}
