// Evaluating generated samples against a dataset's known modes: the mixture's (points) or the
// digits the counting classifier reads (MNIST-family images). Samples are drawn in batches so a
// 25,600-image evaluation never holds more than one batch of images.
import type { Dataset } from '../data/index.js';
import { loadEvaluator } from '../evaluator/mnist-cnn.js';
import { cat, noGrad, scope, withSeed, type Tensor } from '../torch/index.js';
import { meanPairwiseDistance, modeReport, readDigits } from './digits.js';
import { modeMetrics } from './modes.js';
import type { Report } from './report.js';

export interface EvaluateOptions {
  /** Top-probability threshold of the confident-mode count (default 0.99). */
  confidence?: number;
  /** Images per batch through the classifier. */
  batch?: number;
}

/** Samples (generated and real) whose features give the feature spread: a 1000 × 1000 distance matrix. */
const SPREAD_SAMPLES = 1000;
const realSpread = new WeakMap<Dataset, number>();

/**
 * Real images' mean pairwise feature distance, the feature spread's unit: 1000 training images drawn
 * on a private stream (the run's randomness is untouched), once per dataset.
 */
function realFeatureDistance(data: Dataset): number {
  const hit = realSpread.get(data);
  if (hit !== undefined) return hit;
  const d = scope(() => withSeed(0x5b7ead, () => noGrad(() => meanPairwiseDistance(readDigits(loadEvaluator('mnist'), data.sampler.sample(SPREAD_SAMPLES), data.digits!.layout).features))));
  realSpread.set(data, d);
  return d;
}

/** `draw(k)` gives k samples (a generator, or real data for the real-data row). */
export function evaluateSamples(data: Dataset, draw: (k: number) => Tensor, n: number, o: EvaluateOptions = {}): Report | null {
  if (data.target) {
    const target = data.target;
    return scope(() => noGrad(() => modeMetrics(draw(n), target)));
  }
  if (!data.digits) return null;
  const { layout, q } = data.digits;
  const net = loadEvaluator('mnist');
  const ids: number[] = [];
  const confidence: number[] = [];
  const batch = o.batch ?? 1280;
  // The first SPREAD_SAMPLES samples' features, for the feature spread.
  const features: Tensor[] = [];
  let spreadDistance = NaN;
  scope(() => {
    let kept = 0;
    for (let i = 0; i < n; i += batch) {
      const r = scope(() => {
        const { ids, confidence, features: f } = readDigits(net, noGrad(() => draw(Math.min(batch, n - i))), layout);
        return { ids, confidence, f: kept < SPREAD_SAMPLES ? f.narrow(0, 0, Math.min(f.shape[0], SPREAD_SAMPLES - kept)) : null };
      });
      ids.push(...r.ids);
      confidence.push(...r.confidence);
      if (r.f) (features.push(r.f), (kept += r.f.shape[0]));
    }
    if (kept >= 2) spreadDistance = meanPairwiseDistance(cat(features, 0));
  });
  const report = modeReport(ids, confidence, q, o.confidence ?? 0.99);
  if (Number.isFinite(spreadDistance)) report.feature_spread = spreadDistance / realFeatureDistance(data);
  return report;
}
