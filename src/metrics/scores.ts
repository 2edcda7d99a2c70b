// Label-based scores from a classifier's probabilities p(y|x) [n, K] on generated images.
//
// Inception-style score (Salimans et al. 2016, with our classifier instead of Inception):
//   IS = exp(E_x KL(p(y|x) ‖ p_g(y))), p_g(y) = E_x p(y|x), the generated label marginal; over
//   splits, mean ± std with the std dividing by the number of splits (np.std, as torch-fidelity).
// MODE score (Che et al. 2017, papers/000, as docs/PROTOCOLS.md pins it since 2026-12-01):
//   MODE = exp(E_x KL(p(y|x) ‖ p_g(y)) − KL(p_g(y) ‖ p_train(y))) = IS · exp(−KL(p_g ‖ p_train)),
//   p_train(y) the training data's label distribution: sharp, varied labels in the wrong
//   proportions score below their IS. (The earlier pin had p_train in the first KL, which expands
//   to the IS identically: every table then showed equal IS and MODE columns.)
// 0·log 0 = 0 throughout; both are computed in float64.
import { noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import { splitMeanStd, type SplitScore } from './fid.js';

/** Σ_y p log(p / q) per row of p [n, K] against log q [K] (0·log 0 = 0). */
const klRows = (p: Tensor, logQ: Tensor) => p.mul(p.clamp(1e-300).log().sub(logQ)).sum(1);

function checkProbs(probs: Tensor): void {
  if (probs.ndim !== 2 || probs.shape[0] < 1) throw new Error(`label scores need probabilities [n, K], got [${probs.shape}]`);
}

/** IS over `splits` consecutive equal parts (mean ± std, ddof 0 as torch-fidelity's unless given), each with its own marginal. */
export function inceptionScore(probs: Tensor, splits = 1, ddof: 0 | 1 = 0): SplitScore {
  checkProbs(probs);
  const n = Math.floor(probs.shape[0] / splits);
  if (n < 1) throw new Error(`IS: ${probs.shape[0]} samples cannot make ${splits} splits`);
  const scores = Array.from({ length: splits }, (_, i) =>
    scope(() =>
      noGrad(() => {
        const p = probs.narrow(0, i * n, n).to('float64');
        const marginal = p.mean(0);
        return Math.exp(klRows(p, marginal.clamp(1e-300).log()).mean().item());
      }),
    ),
  );
  return { ...splitMeanStd(scores, ddof), n, splits };
}

/** MODE score against the training label distribution `trainLabels` (K numbers summing to 1). */
export function modeScore(probs: Tensor, trainLabels: number[]): number {
  checkProbs(probs);
  if (trainLabels.length !== probs.shape[1]) throw new Error(`MODE score: ${probs.shape[1]} labels but p(y) has ${trainLabels.length}`);
  return scope(() =>
    noGrad(() => {
      const p = probs.to('float64');
      const logTrain = tensor(trainLabels, { dtype: 'float64' }).clamp(1e-300).log();
      const marginal = p.mean(0);
      const expected = klRows(p, marginal.clamp(1e-300).log()).mean().item();
      const marginalKl = klRows(marginal.unsqueeze(0), logTrain).item();
      return Math.exp(expected - marginalKl);
    }),
  );
}
