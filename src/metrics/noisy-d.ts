// The third-party noisy discriminator of Mode-regularized GANs (papers/000, "missing modes"): a
// discriminator D* with the GAN discriminator's architecture, not used to train anything, learns to
// tell training images (label 1) from generated ones (label 0) with zero-mean Gaussian noise of std σ
// added to its inputs, so it cannot separate the two sets perfectly. Its optimum is
// D*(x) = p_data(x) / (p_data(x) + p_gen(x)); on a mode the generator misses, p_gen ≈ 0 and D* ≈ 1.
// Applied (without noise) to the held-out test set, the share of test images with D*(t) > 0.9 estimates
// the probability mass of the missing modes (also reported at 0.7 and 0.8); the test images it scores
// highest show which modes are missing. Real data against real data gives ≈ 0.
// Batches mix the two sets half and half, so BatchNorm's statistics are those of the mixture.
import type { Family } from '../nets/family.js';
import { Adam } from '../nn/index.js';
import { F, cat, noGrad, ones, randn, scope, zeros, type Tensor } from '../torch/index.js';

export interface NoisyDOptions {
  /** Std of the Gaussian input noise, in pixel units of [−1, 1] images. */
  sigma?: number;
  steps?: number;
  /** Images per batch (half training, half generated). */
  batch?: number;
  lr?: number;
  thresholds?: number[];
  /** How many of the highest-scoring test images to return. */
  top?: number;
}

export interface NoisyDResult {
  sigma: number;
  steps: number;
  n_test: number;
  /** Share of test images with D*(t) above each threshold. */
  missing_mass: Record<string, number>;
  /** Indices into the test set of the highest-scoring images, best first, and their scores. */
  top: number[];
  top_scores: number[];
  /** Mean D* on the test set. */
  mean_score: number;
}

/** `train(k)` and `generated(k)` draw k images each; `test` is the held-out set it is applied to. */
export function noisyDiscriminator(
  family: Family,
  train: (k: number) => Tensor,
  generated: (k: number) => Tensor,
  test: Tensor,
  o: NoisyDOptions = {},
): NoisyDResult {
  const sigma = o.sigma ?? 0.5;
  const steps = o.steps ?? 12_000;
  const batch = o.batch ?? 128;
  const thresholds = o.thresholds ?? [0.7, 0.8, 0.9];
  if (!(sigma >= 0) || steps < 1 || batch < 2) throw new Error('noisy discriminator: sigma ≥ 0, steps ≥ 1 and batch ≥ 2 are required');
  const D = family.discriminator();
  const opt = new Adam(D.parameters(), { lr: o.lr ?? 1e-3, betas: [0.5, 0.999] });
  const half = Math.floor(batch / 2);
  const labels = cat([ones([half, 1]), zeros([half, 1])], 0);
  for (let s = 0; s < steps; s++) {
    scope(() => {
      const x = noGrad(() => {
        const both = cat([train(half), generated(half)], 0);
        return sigma > 0 ? both.add(randn(both.shape).mul(sigma)) : both;
      });
      const loss = F.bceWithLogits(D.forward(x), labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  }
  D.eval();
  const scores = scope(() =>
    noGrad(() => {
      const parts: Tensor[] = [];
      for (let i = 0; i < test.shape[0]; i += 1000) parts.push(D.forward(test.narrow(0, i, Math.min(1000, test.shape[0] - i))).sigmoid().view(-1));
      return cat(parts, 0).toNumbers();
    }),
  );
  D.dispose();
  opt.dispose();
  const n = scores.length;
  const order = scores.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
  const top = order.slice(0, o.top ?? 64);
  return {
    sigma,
    steps,
    n_test: n,
    missing_mass: Object.fromEntries(thresholds.map((t) => [String(t), scores.filter((v) => v > t).length / n])),
    top: top.map((p) => p[1]),
    top_scores: top.map((p) => p[0]),
    mean_score: scores.reduce((a, b) => a + b, 0) / n,
  };
}
