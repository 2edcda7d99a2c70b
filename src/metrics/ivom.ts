// IvOM, inference via optimisation (used by VEEGAN, papers/): how well can the generator reproduce a
// held-out image at all? For each test image x, min over z of ‖G(z) − x‖², found by Adam on z from
// `restarts` random starts drawn from the prior; the best value seen over all steps and restarts
// counts. A generator that dropped a mode cannot reconstruct that mode's images, whatever z it tries.
// Reported as the mean squared error per pixel (pixels in [−1, 1]), mean ± std over the images.
// G runs in eval mode (BatchNorm with running statistics), so the images are independent and a whole
// batch of them is optimised at once; G's weights are not touched.
import { Adam, type Module } from '../nn/index.js';
import { noGrad, scope, type Tensor } from '../torch/index.js';

export interface IvomOptions {
  restarts?: number;
  steps?: number;
  lr?: number;
  /** Images optimised together. */
  batch?: number;
}

export interface IvomResult {
  mean: number;
  std: number;
  n: number;
  restarts: number;
  steps: number;
  lr: number;
  /** Best per-pixel squared error of each image. */
  errors: number[];
}

/** `noise(k)` draws k latent codes from the generator's prior. */
export function ivom(G: Module, noise: (k: number) => Tensor, targets: Tensor, o: IvomOptions = {}): IvomResult {
  const restarts = o.restarts ?? 3;
  const steps = o.steps ?? 200;
  const lr = o.lr ?? 0.05;
  const batch = o.batch ?? 256;
  if (restarts < 1 || steps < 1 || !(lr > 0) || batch < 1) throw new Error('IvOM: restarts, steps and batch must be at least 1 and lr > 0');
  const n = targets.shape[0];
  const pixels = targets.numel() / n;
  const errors: number[] = [];
  const wasTraining = G.training;
  G.eval();
  G.requiresGrad_(false);
  try {
    for (let i = 0; i < n; i += batch) {
      const k = Math.min(batch, n - i);
      const best = new Array(k).fill(Infinity);
      scope(() => {
        const x = targets.narrow(0, i, k);
        for (let r = 0; r < restarts; r++) {
          scope(() => {
            const z = noGrad(() => noise(k)).requiresGrad_(true);
            const opt = new Adam([z], { lr });
            for (let s = 0; s <= steps; s++) {
              scope(() => {
                const err = G.forward(z).sub(x).square().view(k, -1).sum(1);
                const per = noGrad(() => err.div(pixels)).toNumbers();
                per.forEach((e, j) => (best[j] = Math.min(best[j], e)));
                if (s === steps) return;
                opt.zeroGrad();
                err.sum().backward();
                opt.step();
              });
            }
            opt.dispose();
          });
        }
      });
      errors.push(...best);
    }
  } finally {
    G.requiresGrad_(true);
    G.train(wasTraining);
  }
  const mean = errors.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n, restarts, steps, lr, errors };
}
