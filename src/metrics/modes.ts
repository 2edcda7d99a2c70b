// Mode-collapse metrics on mixtures with known modes (docs/PROTOCOLS.md, as in VEEGAN's code):
// a sample is high quality when its L2 distance to the nearest mean is ≤ threshold·σ of that mode;
// a mode is captured when it is the nearest mean of at least one high-quality sample; the reverse
// KL compares the mode histogram of high-quality samples with the true mode weights.
import { cdist, noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import type { ModeTarget } from '../data/modes.js';

export interface ModeReport {
  modes: number;
  modes_max: number;
  /** Fraction of samples that are high quality, in [0, 1]. */
  high_quality: number;
  /** KL(p_gen ‖ p_true) over modes, natural log; null when no sample is high quality. */
  reverse_kl: number | null;
  n: number;
}

/** Per-sample nearest mode and whether it is high quality. */
export function assignModes(samples: Tensor, target: ModeTarget): { nearest: Int32Array; highQuality: Uint8Array } {
  return scope(() =>
    noGrad(() => {
      const x = samples.to('float64');
      const { values, indices } = cdist(x, target.means.to('float64')).min(1);
      const limit = tensor(target.sigmas.map((s) => s * target.threshold), { dtype: 'float64' }).indexSelect(0, indices);
      const nearest = Int32Array.from(indices.toNumbers());
      const highQuality = Uint8Array.from(values.le(limit).toNumbers());
      return { nearest, highQuality };
    }),
  );
}

export function modeMetrics(samples: Tensor, target: ModeTarget): ModeReport {
  const n = samples.shape[0];
  if (samples.ndim !== 2 || samples.shape[1] !== target.means.shape[1]) {
    throw new Error(`samples have shape [${samples.shape}] but the modes are ${target.means.shape[1]}-dimensional`);
  }
  const k = target.means.shape[0];
  const { nearest, highQuality } = assignModes(samples, target);
  const counts = new Array(k).fill(0);
  let hq = 0;
  for (let i = 0; i < n; i++) {
    if (highQuality[i]) {
      counts[nearest[i]]++;
      hq++;
    }
  }
  return { modes: counts.filter((c) => c > 0).length, modes_max: k, high_quality: n ? hq / n : 0, reverse_kl: reverseKl(counts, target.weights), n };
}

/** KL(p ‖ w) for p = counts normalised; terms with p = 0 contribute 0. */
export function reverseKl(counts: number[], weights: number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let kl = 0;
  counts.forEach((c, i) => {
    if (c > 0) kl += (c / total) * Math.log(c / total / weights[i]);
  });
  return kl;
}

/**
 * Grid-density divergences for 2D: both sample sets binned on a bins×bins grid over `range`;
 * KL(p_data ‖ p_gen) with ε-smoothing of empty generator cells, and the Jensen–Shannon divergence.
 */
export function gridDensityDivergence(
  generated: number[][],
  data: number[][],
  o: { bins?: number; range?: [number, number, number, number]; eps?: number } = {},
): { kl: number; js: number } {
  const bins = o.bins ?? 50;
  const eps = o.eps ?? 1e-10;
  const all = [...generated, ...data];
  const [x0, x1, y0, y1] = o.range ?? [
    Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])),
    Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])),
  ];
  const hist = (pts: number[][]) => {
    const h = new Float64Array(bins * bins);
    for (const [x, y] of pts) {
      const i = Math.min(bins - 1, Math.max(0, Math.floor(((x - x0) / (x1 - x0 || 1)) * bins)));
      const j = Math.min(bins - 1, Math.max(0, Math.floor(((y - y0) / (y1 - y0 || 1)) * bins)));
      h[i * bins + j]++;
    }
    return h.map((v) => v / pts.length);
  };
  const p = hist(data);
  const q = hist(generated);
  let kl = 0;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) kl += p[i] * Math.log(p[i] / Math.max(q[i], eps));
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) js += 0.5 * p[i] * Math.log(p[i] / m);
    if (q[i] > 0) js += 0.5 * q[i] * Math.log(q[i] / m);
  }
  return { kl, js };
}
