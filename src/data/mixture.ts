// Gaussian mixtures with known modes: the synthetic benchmarks of docs/PROTOCOLS.md, and any mixture a
// user brings (their means and sigmas). Sampling is seeded through torch.manualSeed.
import { gaussian, keep, mulberry32, randint, randn, multinomial, tensor, type Tensor } from '../torch/index.js';
import { points, type DataShape } from './shape.js';

export interface Sampler {
  /** What one sample looks like. */
  readonly shape: DataShape;
  /** A batch of n samples, shape [n, ...sampleDims(shape)]. */
  sample(n: number): Tensor;
}

export interface MixtureSpec {
  name: string;
  /** Mode means, one row per mode. */
  means: number[][];
  /** One σ for all modes or one per mode (isotropic within each mode). */
  sigma: number | number[];
  /** Mode weights (normalised here); uniform when absent. */
  weights?: number[];
  /**
   * High-quality rule: a sample is high quality when its L2 distance to the nearest mean is
   * ≤ threshold·σ of that mode (3 for the 2D sets, 10 for 1200-D: docs/PROTOCOLS.md).
   */
  threshold: number;
  /** Optional noise subspace per mode (coordinate indices); the 1200-D set uses 700 of 1200. */
  noiseCoords?: number[][];
}

export class GaussianMixture implements Sampler {
  readonly dim: number;
  readonly k: number;
  readonly sigmas: number[];
  readonly weights: number[];
  private readonly meansT: Tensor;
  private readonly sigmaT: Tensor;
  private readonly weightsT: Tensor;
  private readonly noiseMask: Tensor | null;

  constructor(readonly spec: MixtureSpec) {
    const { means } = spec;
    if (means.length === 0) throw new Error(`${spec.name}: a mixture needs at least one mode`);
    this.k = means.length;
    this.dim = means[0].length;
    this.sigmas = typeof spec.sigma === 'number' ? new Array(this.k).fill(spec.sigma) : spec.sigma;
    if (this.sigmas.length !== this.k) throw new Error(`${spec.name}: ${this.sigmas.length} sigmas for ${this.k} modes`);
    const w = spec.weights ?? new Array(this.k).fill(1);
    if (w.length !== this.k || w.some((v) => !(v >= 0))) throw new Error(`${spec.name}: weights must be ${this.k} non-negative numbers`);
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((v) => v / total);
    this.meansT = keep(tensor(means));
    this.sigmaT = keep(tensor(this.sigmas).view(-1, 1));
    this.weightsT = keep(tensor(this.weights));
    if (spec.noiseCoords) {
      // Per-mode noise in a subspace, scaled so that ‖x − μ‖ ≈ σ on average (see highDim()).
      const mask = spec.noiseCoords.map((coords) => {
        const row = new Array(this.dim).fill(0);
        for (const c of coords) row[c] = 1 / Math.sqrt(coords.length);
        return row;
      });
      this.noiseMask = keep(tensor(mask));
    } else this.noiseMask = null;
  }

  get shape(): DataShape {
    return points(this.dim);
  }
  get means(): Tensor {
    return this.meansT;
  }
  get threshold(): number {
    return this.spec.threshold;
  }

  sample(n: number): Tensor {
    const idx = this.weights.every((v) => v === this.weights[0])
      ? randint(0, this.k, [n])
      : multinomial(this.weightsT.view(1, -1), n, true).view(-1);
    let noise = randn([n, this.dim]).mul(this.sigmaT.indexSelect(0, idx));
    if (this.noiseMask) noise = noise.mul(this.noiseMask.indexSelect(0, idx));
    return this.meansT.indexSelect(0, idx).add(noise);
  }
}

/** 2D ring: `modes` means at radius r, angles 2πk/modes (eight distinct modes), σ = 0.02. */
export function ring(o: { modes?: number; radius?: number; sigma?: number; threshold?: number } = {}): GaussianMixture {
  const modes = o.modes ?? 8;
  const r = o.radius ?? 2;
  const means = Array.from({ length: modes }, (_, k) => [r * Math.cos((2 * Math.PI * k) / modes), r * Math.sin((2 * Math.PI * k) / modes)]);
  return new GaussianMixture({ name: 'ring', means, sigma: o.sigma ?? 0.02, threshold: o.threshold ?? 3 });
}

/** 2D grid: means at {-4,-2,0,2,4}², σ = 0.05. */
export function grid(o: { side?: number; spacing?: number; sigma?: number; threshold?: number } = {}): GaussianMixture {
  const side = o.side ?? 5;
  const spacing = o.spacing ?? 2;
  const offset = ((side - 1) * spacing) / 2;
  const means: number[][] = [];
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) means.push([i * spacing - offset, j * spacing - offset]);
  return new GaussianMixture({ name: 'grid', means, sigma: o.sigma ?? 0.05, threshold: o.threshold ?? 3 });
}

/**
 * High-dimensional mixture (VEEGAN: "ten 700-D Gaussians embedded in 1200-D"; exact means
 * unpublished). Pinned here: seed 1200 (mulberry32); mean k has i.i.d. N(0, 1) coordinates
 * (pairwise distances ≈ √2400 ≈ 49); mode k's noise lives on its own 700 random coordinates,
 * scaled so that ‖x − μ_k‖ ≈ σ = 1. High quality: within 10σ of the nearest mean.
 */
export function highDim(o: { modes?: number; dim?: number; subspace?: number; sigma?: number; seed?: number; threshold?: number } = {}): GaussianMixture {
  const modes = o.modes ?? 10;
  const dim = o.dim ?? 1200;
  const sub = o.subspace ?? 700;
  if (sub > dim) throw new Error(`highDim: subspace ${sub} is larger than the dimension ${dim}`);
  const rng = mulberry32(o.seed ?? 1200);
  const means = Array.from({ length: modes }, () => Array.from({ length: dim }, () => gaussian(rng)));
  const noiseCoords = Array.from({ length: modes }, () => {
    const perm = Array.from({ length: dim }, (_, i) => i);
    for (let i = dim - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    return perm.slice(0, sub);
  });
  return new GaussianMixture({ name: 'highdim', means, sigma: o.sigma ?? 1, threshold: o.threshold ?? 10, noiseCoords });
}

/** An empirical distribution: batches drawn uniformly with replacement from the rows of a file. */
export class PointSet implements Sampler {
  readonly dim: number;
  private readonly points: Tensor;
  constructor(rows: number[][]) {
    this.points = keep(tensor(rows));
    this.dim = rows[0].length;
  }
  get shape(): DataShape {
    return points(this.dim);
  }
  get size(): number {
    return this.points.shape[0];
  }
  sample(n: number): Tensor {
    return this.points.indexSelect(0, randint(0, this.size, [n]));
  }
}
