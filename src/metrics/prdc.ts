// Improved precision/recall (Kynkäänniemi et al. 2019, k = 3) and density/coverage (Naeem et al.
// 2020, k = 5) between real features X (n of them) and generated features Y (m of them).
//
// A point's k-NN ball is centred on it with radius the distance to its k-th nearest neighbour in its
// own set (itself not counted). "In the ball" follows each metric's reference code (docs/PROTOCOLS.md,
// "Metric conventions"): precision/recall as Kynkäänniemi et al.'s code (kynkaat/improved-precision-
// and-recall-metric) counts distance ≤ radius; density/coverage as Naeem et al.'s prdc 0.2 (clovaai/
// generative-evaluation-prdc) counts distance < radius, strictly. The two differ only on ties: on
// duplicated points (a collapsed generator copying training points) a strict ball of radius 0 holds
// nothing. `ball` sets either convention for either pair (prdc's four numbers: both 'open').
//   precision = share of Y in at least one ball of X (k = 3)
//   recall    = share of X in at least one ball of Y (k = 3)
//   density   = (1 / (k·m)) Σ_j #{i : Y_j in the ball of X_i}   (k = 5; can exceed 1)
//   coverage  = share of X whose ball holds at least one Y       (k = 5)
// Distances come from the engine in float64 (‖a‖² + ‖b‖² − 2 a·b, clamped at 0), a block of rows
// at a time, so a 10k × 10k comparison never holds more than one block of distances and nothing of
// it passes through JavaScript arrays. Squared distances are compared with squared radii.
import { cat, noGrad, scope, zeros, type Tensor } from '../torch/index.js';

export interface PrdcOptions {
  /** k for precision/recall (default 3) and for density/coverage (default 5). */
  kPr?: number;
  kDc?: number;
  /** Rows per block of the distance matrix (default 1024). */
  block?: number;
  /** 'closed': distance ≤ radius is inside; 'open': < only. Defaults: pr 'closed' (Kynkäänniemi's code), dc 'open' (prdc's). */
  ball?: { pr?: 'closed' | 'open'; dc?: 'closed' | 'open' };
}

export interface PrdcResult {
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  n_real: number;
  n_fake: number;
  k_pr: number;
  k_dc: number;
}

/** Squared Euclidean distances between rows of a [p, d] and rows of b [q, d], both float64. */
function sqDist(a: Tensor, b: Tensor, bNorm: Tensor): Tensor {
  return a.square().sum(1, true).add(bNorm.unsqueeze(0)).sub(a.mm(b.T).mul(2)).clamp(0);
}

/** Squared distance of each row of x (float64) to its k-th nearest other row, for each k in ks. */
export function knnSqRadii(x: Tensor, ks: number[], block = 1024): Tensor[] {
  const n = x.shape[0];
  const kMax = Math.max(...ks);
  if (n <= kMax) throw new Error(`k-NN radii with k = ${kMax} need more than ${kMax} points, got ${n}`);
  const norm = x.square().sum(1);
  const parts: Tensor[][] = ks.map(() => []);
  for (let i = 0; i < n; i += block) {
    // The k+1 smallest include the point itself (distance 0 up to round-off, or a duplicate).
    const radii = scope(() => {
      const { values } = sqDist(x.narrow(0, i, Math.min(block, n - i)), x, norm).topk(kMax + 1, 1, false);
      return ks.map((k) => values.select(1, k).contiguous());
    });
    radii.forEach((r, j) => parts[j].push(r));
  }
  return parts.map((p) => cat(p, 0));
}

/** Precision/recall and density/coverage together (one pass over the distances); `only` computes one pair. */
export function prdc(real: Tensor, fake: Tensor, o: PrdcOptions & { only?: 'pr' | 'dc' } = {}): PrdcResult {
  const kPr = o.kPr ?? 3;
  const kDc = o.kDc ?? 5;
  const block = o.block ?? 1024;
  const [wantPr, wantDc] = [o.only !== 'dc', o.only !== 'pr'];
  if (real.ndim !== 2 || fake.ndim !== 2 || real.shape[1] !== fake.shape[1]) {
    throw new Error(`precision/recall: features must be [n, d] with the same d, got [${real.shape}] and [${fake.shape}]`);
  }
  const [n, m] = [real.shape[0], fake.shape[0]];
  const inside = (closed: boolean) => (d: Tensor, r2: Tensor) => (closed ? d.le(r2) : d.lt(r2));
  const inPrBall = inside((o.ball?.pr ?? 'closed') === 'closed');
  const inDcBall = inside((o.ball?.dc ?? 'open') === 'closed');
  return scope(() =>
    noGrad(() => {
      const x = real.to('float64');
      const y = fake.to('float64');
      const radii = knnSqRadii(x, [...(wantPr ? [kPr] : []), ...(wantDc ? [kDc] : [])], block);
      const rPr = wantPr ? radii[0] : null;
      const rDc = wantDc ? radii[radii.length - 1] : null;
      const fPr = wantPr ? knnSqRadii(y, [kPr], block)[0] : null;
      const yNorm = y.square().sum(1);
      // Per generated point, how many real balls hold it; per real point, whether recalled, covered.
      let inPr = zeros([m], { dtype: 'float64' });
      let inDc = zeros([m], { dtype: 'float64' });
      let recalled = 0;
      let covered = 0;
      for (let i = 0; i < n; i += block) {
        const rows = Math.min(block, n - i);
        const part = scope(() => {
          const d = sqDist(x.narrow(0, i, rows), y, yNorm);
          const held = (r2: Tensor, test: typeof inPrBall) => test(d, r2.narrow(0, i, rows).unsqueeze(1)).sum(0).to('float64');
          return {
            pr: rPr && inPr.add(held(rPr, inPrBall)),
            dc: rDc && inDc.add(held(rDc, inDcBall)),
            recalled: fPr && inPrBall(d, fPr.unsqueeze(0)).sum(1).gt(0).sum(),
            covered: rDc && inDcBall(d.min(1).values, rDc.narrow(0, i, rows)).sum(),
          };
        });
        if (part.pr) inPr = part.pr;
        if (part.dc) inDc = part.dc;
        recalled += part.recalled?.item() ?? 0;
        covered += part.covered?.item() ?? 0;
      }
      return {
        precision: wantPr ? inPr.gt(0).to('float64').mean().item() : NaN,
        recall: wantPr ? recalled / n : NaN,
        density: wantDc ? inDc.sum().item() / (kDc * m) : NaN,
        coverage: wantDc ? covered / n : NaN,
        n_real: n,
        n_fake: m,
        k_pr: kPr,
        k_dc: kDc,
      };
    }),
  );
}
