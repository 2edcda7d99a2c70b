// Collapse alarms: rules on the evaluations (modes, % high quality, reverse KL; for images the
// classifier-label entropy and the samples' feature spread) and on the training
// signals (D's loss, G's gradient norm) that say a run is collapsing or its gradients are failing
// (papers/003: D's loss → 0 starves the minimax generator). Each alarm fires once per run, as a line
// in alarms.jsonl (step, rule, values), on the terminal and on the live view. The defaults are set
// so that healthy runs stay quiet (docs/RESULTS.md, "Collapse alarms": `gantry alarms` over the
// synthetic table's runs, alarms on runs that end with every mode against runs that end without).
import { appendChecked } from '../torch/index.js';
import type { Report } from '../metrics/report.js';
import type { MetricsLine } from './run-files.js';

export interface Alarm {
  step: number;
  rule: string;
  /** What the rule saw, in words. */
  message: string;
  values: Record<string, number>;
}

export interface AlarmOptions {
  /** Coverage below this share of the modes at `window` consecutive evaluations. */
  coverageBelow: number;
  /** coverage-low applies to data with at most this many modes. */
  coverageLowMaxModes: number;
  /** Coverage this share below its best so far at `window` consecutive evaluations. */
  coverageDrop: number;
  /** % high quality below this share of its best (when the best was ≥ 10 %). */
  hqBelowBest: number;
  /** Reverse KL this many nats above its best. */
  klRise: number;
  /** Images: the label entropy below this share of its best (when the best was ≥ 0.5 nats). */
  entropyBelowBest: number;
  /** Images: the feature spread below this share of its best (when the best was ≥ 0.2). */
  spreadBelowBest: number;
  window: number;
  /** Evaluations before the first decision (a young run is allowed to start from nothing). */
  grace: number;
  /** D's loss (of objectives whose loss is ≥ 0) below this at `window` consecutive logged steps. */
  dLossBelow: number;
  /** G's gradient norm above this many times, or below 1/this of, its first logged value. */
  gradFactor: number;
}

export const ALARM_DEFAULTS: AlarmOptions = { coverageBelow: 0.5, coverageLowMaxModes: 100, coverageDrop: 0.3, hqBelowBest: 0.25, klRise: 0.7, entropyBelowBest: 0.5, spreadBelowBest: 0.5, window: 3, grace: 2, dLossBelow: 1e-3, gradFactor: 1e4 };

/** The rules over a run's signals, in order; `onAlarm` hears each alarm the first time it fires. */
export class CollapseWatch {
  readonly fired = new Set<string>();
  private readonly evals: { modes: number; max: number; hq: number; kl: number | null; entropy: number; spread: number }[] = [];
  private readonly ds: number[] = [];
  private g0: number | null = null;
  private dNonNegative = true;

  constructor(
    private readonly o: AlarmOptions,
    /** Hears each alarm the first time it fires (replaying a resumed run's history, nothing). */
    public onAlarm: (a: Alarm) => void,
  ) {}

  private fire(a: Alarm): void {
    if (this.fired.has(a.rule)) return;
    this.fired.add(a.rule);
    this.onAlarm(a);
  }

  /** An evaluation's report (points mixtures and digit modes alike: `modes`, `modes_max`). */
  evaluation(step: number, r: Report | null): void {
    if (!r) return;
    const rep = r as unknown as { modes: number; modes_max: number; high_quality?: number; reverse_kl?: number | null; kl?: number; label_entropy?: number; feature_spread?: number };
    this.evals.push({ modes: rep.modes, max: rep.modes_max, hq: rep.high_quality ?? NaN, kl: rep.reverse_kl ?? rep.kl ?? null, entropy: rep.label_entropy ?? NaN, spread: rep.feature_spread ?? NaN });
    const { window: w, grace } = this.o;
    if (this.evals.length <= grace) return;
    const recent = this.evals.slice(-w);
    if (recent.length < w) return;
    const last = recent[recent.length - 1];
    // Below half the modes means collapse on a mixture (8, 25, 10 modes) or MNIST (10); Stacked-MNIST's
    // 1,000 are not all reached even by good runs at CPU budgets (DCGAN: 99–400 published), so there
    // only a fall from the run's own best counts.
    if (last.max <= this.o.coverageLowMaxModes && recent.every((e) => e.modes < this.o.coverageBelow * e.max)) {
      this.fire({ step, rule: 'coverage-low', message: `${last.modes} of ${last.max} modes at ${w} evaluations in a row (below ${100 * this.o.coverageBelow} %)`, values: { modes: last.modes, modes_max: last.max } });
    }
    const best = Math.max(...this.evals.map((e) => e.modes));
    if (best >= 2 && recent.every((e) => e.modes <= (1 - this.o.coverageDrop) * best)) {
      this.fire({ step, rule: 'coverage-drop', message: `${last.modes} modes, down from ${best} (at ${w} evaluations in a row)`, values: { modes: last.modes, best } });
    }
    const bestHq = Math.max(...this.evals.map((e) => e.hq).filter(Number.isFinite));
    if (bestHq >= 0.1 && recent.every((e) => e.hq < this.o.hqBelowBest * bestHq)) {
      this.fire({ step, rule: 'hq-drop', message: `${(100 * last.hq).toFixed(1)} % high quality, down from ${(100 * bestHq).toFixed(1)} %`, values: { high_quality: last.hq, best: bestHq } });
    }
    // Images: the labels concentrating on few classes, or the samples becoming one image.
    const bestEntropy = Math.max(...this.evals.map((e) => e.entropy).filter(Number.isFinite));
    if (bestEntropy >= 0.5 && recent.every((e) => e.entropy < this.o.entropyBelowBest * bestEntropy)) {
      this.fire({ step, rule: 'label-entropy-drop', message: `label entropy ${last.entropy.toFixed(2)} nats, down from ${bestEntropy.toFixed(2)}`, values: { label_entropy: last.entropy, best: bestEntropy } });
    }
    const bestSpread = Math.max(...this.evals.map((e) => e.spread).filter(Number.isFinite));
    if (bestSpread >= 0.2 && recent.every((e) => e.spread < this.o.spreadBelowBest * bestSpread)) {
      this.fire({ step, rule: 'feature-spread-drop', message: `samples' feature spread ${last.spread.toFixed(2)} of real images', down from ${bestSpread.toFixed(2)}`, values: { feature_spread: last.spread, best: bestSpread } });
    }
    const kls = this.evals.map((e) => e.kl).filter((k): k is number => k !== null);
    if (kls.length > grace && recent.every((e) => e.kl !== null && e.kl > Math.min(...kls) + this.o.klRise)) {
      this.fire({ step, rule: 'kl-rise', message: `reverse KL ${last.kl!.toFixed(2)}, up from ${Math.min(...kls).toFixed(2)}`, values: { kl: last.kl!, best: Math.min(...kls) } });
    }
  }

  /** A logged step's losses (and gradient norms). */
  losses(step: number, l: Record<string, number>): void {
    if (typeof l.d === 'number') {
      if (l.d < 0) this.dNonNegative = false;
      this.ds.push(l.d);
      const recent = this.ds.slice(-this.o.window);
      if (this.dNonNegative && recent.length === this.o.window && recent.every((d) => d < this.o.dLossBelow)) {
        this.fire({ step, rule: 'd-loss-vanishing', message: `D's loss ${l.d.toExponential(1)}: D rejects every sample, G's (minimax) gradient vanishes`, values: { d: l.d } });
      }
    }
    const g = l.grad_norm_G;
    if (typeof g === 'number' && Number.isFinite(g)) {
      this.g0 ??= g;
      if (this.g0 > 0 && (g > this.g0 * this.o.gradFactor || g < this.g0 / this.o.gradFactor)) {
        this.fire({ step, rule: g > this.g0 ? 'g-grad-exploding' : 'g-grad-vanishing', message: `G's gradient norm ${g.toExponential(1)}, from ${this.g0.toExponential(1)} at the start`, values: { grad_norm_G: g, first: this.g0 } });
      }
    }
  }
}

/** alarms.jsonl: one JSON line per alarm. */
export function appendAlarm(path: string, a: Alarm): void {
  appendChecked(path, JSON.stringify(a) + '\n');
}

/** Feeds a run's metrics.jsonl lines to a watch as training did: the losses at logged steps (before that step's evaluation), every evaluation. */
export function replayMetrics(watch: CollapseWatch, lines: MetricsLine[], logEvery: number): void {
  for (const l of lines) {
    if (l.losses && logEvery > 0 && l.step % logEvery === 0) watch.losses(l.step, l.losses);
    if ('modes' in l) watch.evaluation(l.step, l as unknown as Report);
  }
}
