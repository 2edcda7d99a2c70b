// Evaluating generated samples against a dataset's known modes: the mixture's (points) or the
// digits the counting classifier reads (MNIST-family images). Samples are drawn in batches so a
// 25,600-image evaluation never holds more than one batch of images.
import type { Dataset } from '../data/index.js';
import { loadEvaluator } from '../evaluator/mnist-cnn.js';
import { noGrad, scope, type Tensor } from '../torch/index.js';
import { modeReport, readDigits } from './digits.js';
import { modeMetrics } from './modes.js';
import type { Report } from './report.js';

export interface EvaluateOptions {
  /** Top-probability threshold of the confident-mode count (default 0.99). */
  confidence?: number;
  /** Images per batch through the classifier. */
  batch?: number;
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
  for (let i = 0; i < n; i += batch) {
    const r = scope(() => readDigits(net, noGrad(() => draw(Math.min(batch, n - i))), layout));
    ids.push(...r.ids);
    confidence.push(...r.confidence);
  }
  return modeReport(ids, confidence, q, o.confidence ?? 0.99);
}
