// Image datasets as seeded samplers of [n, c, h, w] batches in [−1, 1] (docs/PROTOCOLS.md, "Images"):
//   mnist, fashion-mnist      one 28×28 channel (32×32 with `size: 32`, digits padded);
//   stacked-mnist             three independent MNIST digits as R, G, B (1000 modes, id 100·R + 10·G + B),
//                             fresh random triples every batch (small-d protocol), or a fixed set of
//                             triples drawn once from a seed (the veegan protocol: 128,000 from all 70,000);
//   color-mnist               Stacked-MNIST at 32×32 (the lens paper's Color MNIST);
//   compositional-mnist       three digits side by side (28×84) drawn with unequal probabilities,
//                             digit d ∝ d + 1 (our pinned choice; the paper does not list its own).
import { keep, mulberry32, multinomial, noGrad, randint, rand, stack, tensor, cat, type Tensor } from '../torch/index.js';
import type { Sampler } from './mixture.js';
import { loadFashionMnist, loadMnist, toPixels, type LabelledImages, type Split } from './mnist.js';
import { image, type DataShape } from './shape.js';

/** Pads 28×28 digits to 32×32 with background (−1), as the lens paper's Color MNIST. */
function pad32(x: Tensor): Tensor {
  return x.constantPad([2, 2, 2, 2], -1);
}

/** One MNIST-like digit per image (mnist, fashion-mnist). */
export class DigitImages implements Sampler {
  readonly shape: DataShape;
  constructor(
    readonly set: LabelledImages,
    readonly size: 28 | 32 = 28,
  ) {
    this.shape = image(1, size);
  }
  sample(n: number): Tensor {
    return this.withLabels(n).x;
  }
  withLabels(n: number): { x: Tensor; labels: Tensor } {
    const idx = randint(0, this.set.n, [n]);
    const x = toPixels(this.set.images.indexSelect(0, idx)).unsqueeze(1);
    return { x: this.size === 32 ? pad32(x) : x, labels: this.set.labels.indexSelect(0, idx) };
  }
}

export interface StackedOptions {
  size?: 28 | 32;
  /** Draw digits from the training set (default) or the held-out test set (the real-data row). */
  split?: Split;
  /** A fixed set of this many triples drawn once from `seed` (the veegan protocol); fresh triples when absent. */
  fixed?: { count: number; seed: number };
}

/** Stacked-MNIST: three digits as the R, G, B channels; labels are mode ids 100·R + 10·G + B. */
export class StackedMnist implements Sampler {
  readonly shape: DataShape;
  /** The digits triples are drawn from: 60,000 training digits, or all 70,000 for a fixed set. */
  private readonly images: Tensor;
  private readonly labels: Tensor;
  private readonly triples: Tensor | null = null;
  constructor(readonly o: StackedOptions = {}) {
    this.shape = image(3, o.size ?? 28);
    const train = loadMnist(o.split ?? 'train');
    if (!o.fixed) {
      [this.images, this.labels] = [train.images, train.labels];
      return;
    }
    // The veegan protocol draws its triples with replacement from all 70,000 digits, once. A
    // JavaScript PRNG keeps the set independent of torch's stream (and of the run's seed).
    const test = loadMnist('test');
    [this.images, this.labels] = noGrad(() => [keep(cat([train.images, test.images], 0)), keep(cat([train.labels, test.labels], 0))]);
    const rng = mulberry32(o.fixed.seed);
    const total = train.n + test.n;
    const idx = new Float64Array(o.fixed.count * 3);
    for (let i = 0; i < idx.length; i++) idx[i] = Math.floor(rng() * total);
    this.triples = keep(noGrad(() => tensor(idx).to('int64').view(-1, 3)));
  }
  sample(n: number): Tensor {
    return this.withLabels(n).x;
  }
  withLabels(n: number): { x: Tensor; labels: Tensor } {
    const flat = this.triples ? this.triples.indexSelect(0, randint(0, this.triples.shape[0], [n])).view(-1) : randint(0, this.images.shape[0], [n * 3]);
    const labels = this.labels.indexSelect(0, flat);
    let x = toPixels(this.images.indexSelect(0, flat)).view(n, 3, 28, 28);
    if (this.o.size === 32) x = pad32(x);
    const l = labels.view(n, 3);
    const ids = l.select(1, 0).mul(100).add(l.select(1, 1).mul(10)).add(l.select(1, 2)).to('int64');
    return { x, labels: ids };
  }
}

/** The pinned digit probabilities of compositional MNIST: p(d) ∝ d + 1. */
export const COMPOSITIONAL_DIGIT_WEIGHTS = Array.from({ length: 10 }, (_, d) => (d + 1) / 55);

/** Compositional MNIST: three digits side by side form a number in [0, 999] (28×84, one channel). */
export class CompositionalMnist implements Sampler {
  readonly shape: DataShape = image(1, 28, 84);
  private readonly set: LabelledImages;
  private readonly weights = keep(tensor(COMPOSITIONAL_DIGIT_WEIGHTS).view(1, -1));
  /** Image indices by class, padded to a [10, largest class] table, and each class's size. */
  private readonly table: Tensor;
  private readonly counts: Tensor;
  private readonly width: number;
  constructor(split: Split = 'train') {
    this.set = loadMnist(split);
    const sizes = this.set.byClass.map((c) => c.shape[0]);
    this.width = Math.max(...sizes);
    this.table = keep(noGrad(() => stack(this.set.byClass.map((c) => c.constantPad([0, this.width - c.shape[0]], 0)), 0)));
    this.counts = keep(tensor(sizes));
  }
  sample(n: number): Tensor {
    return this.withLabels(n).x;
  }
  withLabels(n: number): { x: Tensor; labels: Tensor } {
    const digits = multinomial(this.weights, n * 3, true).view(-1);
    // Scalar arithmetic promotes integer tensors to float; the indices stay exact in float32 (< 2^24).
    const within = rand([n * 3]).mul(this.counts.indexSelect(0, digits)).floor();
    const idx = this.table.view(-1).indexSelect(0, digits.to('float32').mul(this.width).add(within).to('int64'));
    const x = toPixels(this.set.images.indexSelect(0, idx)).view(n, 3, 28, 28);
    const d = digits.view(n, 3);
    const labels = d.select(1, 0).mul(100).add(d.select(1, 1).mul(10)).add(d.select(1, 2)).to('int64');
    return { x: cat([x.select(1, 0), x.select(1, 1), x.select(1, 2)], 2).unsqueeze(1), labels };
  }
}

export const IMAGE_DATASETS = ['mnist', 'fashion-mnist', 'stacked-mnist', 'color-mnist', 'compositional-mnist'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** A sampler that also returns each image's mode id (the real-data row reads both). */
export type LabelledSampler = Sampler & { withLabels(n: number): { x: Tensor; labels: Tensor } };

export function imageSampler(name: ImageDatasetName, o: { fixedTriples?: number; fixedSeed?: number; size?: 28 | 32; split?: Split } = {}): LabelledSampler {
  const split = o.split ?? 'train';
  switch (name) {
    case 'mnist':
      return new DigitImages(loadMnist(split), o.size ?? 28);
    case 'fashion-mnist':
      return new DigitImages(loadFashionMnist(split), o.size ?? 28);
    case 'stacked-mnist':
    case 'color-mnist':
      return new StackedMnist({
        size: name === 'color-mnist' ? 32 : (o.size ?? 28),
        split,
        fixed: o.fixedTriples ? { count: o.fixedTriples, seed: o.fixedSeed ?? 0 } : undefined,
      });
    case 'compositional-mnist':
      return new CompositionalMnist(split);
  }
}
