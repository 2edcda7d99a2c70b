// What an evaluation of generated samples returns, for points (mode metrics on a known mixture) or
// MNIST-family images (modes read by the counting classifier), and its one-line summary.
import type { DigitModeReport } from './digits.js';
import type { ModeReport } from './modes.js';

export type Report = ModeReport | DigitModeReport;

export const isDigitReport = (r: Report): r is DigitModeReport => 'kl' in r;

/** One line: what the CLI, the progress display and the logs print. */
export function describeReport(r: Report): string {
  if (isDigitReport(r)) {
    return `${r.modes}/${r.modes_max} modes, KL ${r.kl.toFixed(3)}; ${r.modes_confident} modes from the ${r.confident_samples} samples with every digit ≥ ${r.confidence}; ${r.modes_2plus} modes with ≥ 2 samples; label entropy ${r.label_entropy.toFixed(2)}${r.feature_spread === undefined ? '' : `, feature spread ${r.feature_spread.toFixed(2)}`} (n = ${r.n})`;
  }
  return `${r.modes}/${r.modes_max} modes, ${(100 * r.high_quality).toFixed(1)}% high quality, reverse KL ${r.reverse_kl?.toFixed(3) ?? 'n/a'} (n = ${r.n})`;
}

/** The report without its long lists (histogram, missing ids), for metrics.jsonl lines. */
export function compactReport(r: Report | null): Record<string, unknown> | null {
  if (!r || !isDigitReport(r)) return r as Record<string, unknown> | null;
  const { histogram: _h, missing: _m, ...rest } = r;
  return rest;
}
