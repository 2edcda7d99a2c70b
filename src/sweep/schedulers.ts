// Early stopping for sweeps, as Ray Tune and W&B sweeps offer it, on a named metric and direction.
// Both rules decide at rungs (evaluation steps) from what the other trials of the same group (the
// same dataset: metrics of different data are not comparable) reported there; no npm package has them.
//
// ASHA (Li et al. 2018, "A System for Massively Parallel Hyperparameter Tuning"; the stopping form
// of Ray Tune's AsyncHyperBandScheduler): rungs at grace·η^k steps below the trial's budget. A trial
// reaching a rung goes on when its value is at least the (1 − 1/η) quantile (linear interpolation,
// as numpy.percentile) of the values the other trials recorded at that rung before it; the first
// trial at a rung always goes on.
//
// Median stopping (Golovin et al. 2017, "Google Vizier", §3.2.2): at each rung, with at least
// `minTrials` other trials recorded there, a trial stops when its best value so far is strictly
// worse than the median of the other trials' running averages (their mean over the rungs up to this one).
import type { EarlyStopping } from './spec.js';

const fmt = (v: number) => String(+v.toPrecision(4));

/** Every trial's values by step, in one group. */
export type Records = Map<string, Map<number, number>>;

/** The rung steps of a trial with `steps` generator steps. */
export function rungsOf(es: EarlyStopping, steps: number): number[] {
  const out: number[] = [];
  if (es.rule === 'asha') for (let r = es.grace; r < steps; r *= es.eta) out.push(r);
  else for (let r = es.grace; r < steps; r += es.every ?? es.grace) out.push(r);
  return out;
}

/** The q-quantile (0 ≤ q ≤ 1) of values, with linear interpolation between order statistics (numpy's default). */
export function quantile(values: number[], q: number): number {
  const v = [...values].sort((a, b) => a - b);
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

export interface Decision {
  stop: boolean;
  /** In words: what the value was compared with. */
  why: string;
}

/**
 * Whether trial `id`, at rung `step` with `value`, goes on. `records` are the group's records before
 * this one (the trial's own earlier rungs included).
 */
export function decide(es: EarlyStopping, records: Records, id: string, step: number, value: number): Decision {
  // Larger is better inside: a metric to minimise is negated.
  const sign = es.mode === 'max' ? 1 : -1;
  const better = (a: number) => sign * a;
  const others = [...records].filter(([t]) => t !== id);
  if (!Number.isFinite(value)) return { stop: true, why: `${es.metric} is ${value} at step ${step}` };
  if (es.rule === 'asha') {
    const at = others.map(([, r]) => r.get(step)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (!at.length) return { stop: false, why: `the first trial at rung ${step}` };
    const cutoff = quantile(at.map(better), 1 - 1 / es.eta);
    return better(value) < cutoff
      ? { stop: true, why: `${es.metric} ${fmt(value)} below the top 1/${es.eta} of ${at.length} other trial(s) at step ${step} (cut-off ${fmt(sign * cutoff)})` }
      : { stop: false, why: `${es.metric} ${fmt(value)} in the top 1/${es.eta} of ${at.length} other trial(s) at step ${step} (cut-off ${fmt(sign * cutoff)})` };
  }
  const reached = others.filter(([, r]) => r.has(step));
  if (reached.length < es.minTrials) return { stop: false, why: `${reached.length} other trial(s) at step ${step}, fewer than ${es.minTrials}` };
  const averages = reached.map(([, r]) => {
    const upTo = [...r].filter(([s, v]) => s <= step && Number.isFinite(v)).map(([, v]) => better(v));
    return upTo.reduce((a, b) => a + b, 0) / upTo.length;
  });
  const median = quantile(averages, 0.5);
  const own = [...(records.get(id) ?? new Map<number, number>())].filter(([s]) => s < step).map(([, v]) => better(v));
  const best = Math.max(better(value), ...own);
  return best < median
    ? { stop: true, why: `best ${es.metric} ${fmt(sign * best)} worse than the median ${fmt(sign * median)} of ${reached.length} other trials' running averages at step ${step}` }
    : { stop: false, why: `best ${es.metric} ${fmt(sign * best)} not worse than the median ${fmt(sign * median)} of ${reached.length} other trials' running averages at step ${step}` };
}
