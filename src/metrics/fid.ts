// Fréchet distance and kernel inception distance between two sets of feature vectors, computed on
// the engine in float64. The features are whatever space the caller names (gantry's are the counting
// classifier's, so its scores are "FID-MNIST-CNN", never bare "FID": see features.ts).
//
// FD(a, b) = ‖μa − μb‖² + tr Σa + tr Σb − 2 tr (Σa^½ Σb Σa^½)^½.
// tr (Σa Σb)^½ equals tr (Σa^½ Σb Σa^½)^½ (similar matrices), and the latter is symmetric positive
// semi-definite, so both square roots are eigendecompositions (no iterative sqrtm, no complex parts);
// eigenvalues that round below zero are clamped to 0.
//
// KID (Bińkowski et al. 2018): the unbiased estimate of MMD² with the cubic polynomial kernel
// k(x, y) = (x·y / d + 1)³, averaged over random subsets of both sets (default 100 subsets of 1000),
// reported as mean ± std over the subsets.
//
// Conventions, as the reference codes have them (docs/PROTOCOLS.md, "Metric conventions"):
// - FID as pytorch-fid's calculate_frechet_distance; a set against itself can round slightly below
//   0 (both codes give ≈ −0.005 on a rank-20 set): reported clamped at 0.
// - KID as torch-fidelity 0.3's: the std over subsets divides by the number of subsets (np.std),
//   and a subset larger than either set is refused (torch-fidelity refuses too), not shrunk.
import { eigh, eigvalsh, mulberry32, noGrad, scope, tensor, type Tensor } from '../torch/index.js';

export interface GaussianStats {
  /** Mean [d] and covariance [d, d], float64, unbiased (n − 1). */
  mu: Tensor;
  sigma: Tensor;
  n: number;
}

/** Mean and covariance of features [n, d] (n ≥ 2), in float64. */
export function gaussianStats(features: Tensor): GaussianStats {
  const [n] = features.shape;
  if (features.ndim !== 2 || n < 2) throw new Error(`FID needs at least 2 feature vectors [n, d], got [${features.shape}]`);
  return noGrad(() => {
    const x = features.to('float64');
    const mu = x.mean(0);
    const c = x.sub(mu);
    return { mu, sigma: c.T.mm(c).div(n - 1), n };
  });
}

/** Σ^½ of a symmetric PSD matrix by eigendecomposition. */
function sqrtPsd(s: Tensor): Tensor {
  const { eigenvalues, eigenvectors } = eigh(s);
  return eigenvectors.mul(eigenvalues.clamp(0).sqrt().unsqueeze(0)).mm(eigenvectors.T);
}

/** The Fréchet distance between N(μa, Σa) and N(μb, Σb). */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.mu.shape[0] !== b.mu.shape[0]) throw new Error(`FID: feature sizes differ (${a.mu.shape[0]} vs ${b.mu.shape[0]})`);
  return scope(() =>
    noGrad(() => {
      const root = sqrtPsd(a.sigma);
      const m = root.mm(b.sigma).mm(root);
      const sym = m.add(m.T).mul(0.5);
      const trCross = eigvalsh(sym).clamp(0).sqrt().sum().item();
      const dMu = a.mu.sub(b.mu).square().sum().item();
      return Math.max(0, dMu + a.sigma.diag().sum().item() + b.sigma.diag().sum().item() - 2 * trCross);
    }),
  );
}

export interface SplitScore {
  mean: number;
  std: number;
  /** Feature vectors per split (per subset for KID), and how many splits. */
  n: number;
  splits: number;
}

/**
 * Mean and std over splits. `ddof` 0 divides by the count (np.std: torch-fidelity's KID and IS),
 * 1 by count − 1 (FID over splits, which no reference code has).
 */
export const splitMeanStd = (v: number[], ddof: 0 | 1) => {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = v.length > ddof ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - ddof)) : 0;
  return { mean, std };
};

/**
 * FID between generated features and reference features (or their precomputed stats). With
 * `splits` > 1 the generated set is cut into equal consecutive parts, each scored against the whole
 * reference: mean ± std over the parts.
 */
export function fid(generated: Tensor, reference: Tensor | GaussianStats, splits = 1): SplitScore {
  const ref = 'mu' in reference ? reference : gaussianStats(reference);
  const n = Math.floor(generated.shape[0] / splits);
  if (n < 2) throw new Error(`FID: ${generated.shape[0]} feature vectors cannot make ${splits} splits of at least 2`);
  const scores = Array.from({ length: splits }, (_, i) => scope(() => frechetDistance(gaussianStats(generated.narrow(0, i * n, n)), ref)));
  return { ...splitMeanStd(scores, 1), n, splits };
}

export interface KidOptions {
  subsets?: number;
  /** Feature vectors per subset (default 1000); larger than either set is refused. */
  subsetSize?: number;
  seed?: number;
  /** The std over subsets: 0 divides by their count (torch-fidelity, the default), 1 by count − 1. */
  ddof?: 0 | 1;
}

/** Unbiased MMD² with the cubic polynomial kernel, over random subsets (mean ± std). */
export function kid(generated: Tensor, reference: Tensor, o: KidOptions = {}): SplitScore {
  const d = generated.shape[1];
  if (reference.shape[1] !== d) throw new Error(`KID: feature sizes differ (${d} vs ${reference.shape[1]})`);
  const m = o.subsetSize ?? 1000;
  if (m < 2) throw new Error(`KID: a subset needs at least 2 feature vectors, got a subset size of ${m}`);
  if (m > Math.min(generated.shape[0], reference.shape[0])) {
    throw new Error(`KID: the subset size ${m} is larger than the ${Math.min(generated.shape[0], reference.shape[0])} feature vectors of the smaller set (${generated.shape[0]} generated, ${reference.shape[0]} reference); give more samples, or a smaller subset size (--kid-subset-size), as torch-fidelity asks`);
  }
  const subsets = o.subsets ?? 100;
  const rng = mulberry32(o.seed ?? 0);
  const pick = (n: number) => {
    // A partial Fisher–Yates shuffle: m distinct indices out of n.
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(rng() * (n - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return tensor(idx.slice(0, m)).to('int64');
  };
  const scores: number[] = [];
  const [gen, ref] = [generated.to('float64'), reference.to('float64')];
  for (let s = 0; s < subsets; s++) {
    scores.push(
      scope(() =>
        noGrad(() => {
          const x = gen.indexSelect(0, pick(gen.shape[0]));
          const y = ref.indexSelect(0, pick(ref.shape[0]));
          const k = (a: Tensor, b: Tensor) => a.mm(b.T).div(d).add(1).pow(3);
          const [kxx, kyy, kxy] = [k(x, x), k(y, y), k(x, y)];
          const offDiag = (kk: Tensor) => kk.sum().item() - kk.diag().sum().item();
          return (offDiag(kxx) + offDiag(kyy)) / (m * (m - 1)) - (2 * kxy.sum().item()) / (m * m);
        }),
      ),
    );
  }
  return { ...splitMeanStd(scores, o.ddof ?? 0), n: m, splits: subsets };
}
