// One trial of a sweep, from wherever it stands to its result. With early stopping it trains in
// segments, rung to rung, each in a child process that stops with a checkpoint at the rung; the
// scheduler then decides from the values other trials recorded there, and a trial that goes on
// resumes exactly (the same run, byte for byte, as one trained in one piece). Killed at any moment,
// it continues from its last checkpoint; its result is written once.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getPreset } from '../train/presets.js';
import type { RunConfigInput } from '../train/config.js';
import { FILES, readFinal, readMetrics, type MetricsLine } from '../train/run-files.js';
import { isFinished, type RunResult } from '../train/run.js';
import { trialDir, readResult, writeResult, type RungStore, type TrialResult } from './folder.js';
import { JobLockedError, RUNG_STOP, type Job } from './pool.js';
import { decide, rungsOf } from './schedulers.js';
import type { EarlyStopping, Trial } from './spec.js';

/** Steps and evaluation cadence of a configuration, as buildRun resolves them (the preset's, or 5,000 and 1,000). */
export function loopOf(config: RunConfigInput): { steps: number; evalEvery: number } {
  const preset = config.preset ? getPreset(config.preset) : undefined;
  return { steps: config.steps ?? preset?.steps ?? 5000, evalEvery: config.evalEvery ?? preset?.evalEvery ?? 1000 };
}

/**
 * A metric of an evaluation line: a field (modes, high_quality, reverse_kl, kl, …), or `coverage`
 * (modes / modes_max) or `score` (coverage × high_quality: 1 only with every mode and every sample
 * of high quality; comparable across mixtures).
 */
export function metricOf(line: Record<string, unknown>, name: string): number {
  const n = (k: string) => (typeof line[k] === 'number' ? (line[k] as number) : NaN);
  if (name === 'coverage') return n('modes') / n('modes_max');
  if (name === 'score') return (n('modes') / n('modes_max')) * n('high_quality');
  return n(name);
}

/** The group whose trials a trial is compared with: its data (metrics of other data are not comparable). */
export const groupOf = (config: RunConfigInput) => String(config.dataset?.name ?? config.dataset?.data ?? config.dataset?.images ?? 'data');

/** Checks that a sweep's rungs fall on its trials' evaluations (the value at a rung is an evaluation's). */
export function checkRungs(es: EarlyStopping, trials: Trial[]): void {
  for (const t of trials) {
    const { steps, evalEvery } = loopOf(t.config);
    const bad = rungsOf(es, steps).find((r) => evalEvery <= 0 || r % evalEvery !== 0);
    if (bad !== undefined) throw new Error(`invalid sweep: early_stopping's rung at step ${bad} is not an evaluation step of trial ${JSON.stringify(t.point)} (evalEvery ${evalEvery}); make grace (and every) multiples of evalEvery`);
  }
}

/** How long a trial waits for its folder's lock before it fails. */
const LOCK_WAIT_MS = 120_000;

export interface TrialContext {
  sweepDir: string;
  earlyStopping?: EarlyStopping;
  store: RungStore;
  /** Trains one segment in a child process. */
  train: (job: Job) => Promise<RunResult | Error>;
  log?: (s: string) => void;
}

/** The trial's result, or null when it was interrupted (a signal): its checkpoint waits. */
export async function runTrial(t: Trial, ctx: TrialContext): Promise<TrialResult | null> {
  const had = readResult(ctx.sweepDir, t.id);
  if (had) return had;
  const dir = trialDir(ctx.sweepDir, t);
  const { steps } = loopOf(t.config);
  const es = ctx.earlyStopping;
  const group = groupOf(t.config);
  const rungs = es ? rungsOf(es, steps) : [];
  const decisions: string[] = [];
  const t0 = performance.now();
  for (;;) {
    if (isFinished(dir)) {
      const final = readFinal(dir);
      return writeResult(ctx.sweepDir, { id: t.id, status: 'done', step: final.steps, metrics: (final.report as unknown as Record<string, unknown>) ?? null, seconds: final.seconds, decisions });
    }
    const mine = es ? ((await ctx.store.read(group)).get(t.id) ?? new Map<number, number>()) : new Map<number, number>();
    const rung = rungs.find((r) => !mine.has(r));
    // A folder with a configuration continues; one without (a trial never started, or killed while
    // its folder was being made) starts afresh.
    const started = existsSync(join(dir, FILES.config));
    if (!started && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    const result = await ctx.train({ config: t.config, dir, resume: started, stopAt: rung });
    // Another process still writes the folder (the trial of a killed worker stops at its next step): wait for it.
    if (result instanceof JobLockedError && performance.now() - t0 < LOCK_WAIT_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (result instanceof Error) {
      return writeResult(ctx.sweepDir, { id: t.id, status: 'failed', step: 0, metrics: null, decisions, error: result.message });
    }
    if (!result.stopped) continue; // finished: the loop's first branch writes its result
    if (result.stopped !== RUNG_STOP || rung === undefined) return null;
    // The rung's evaluation line (a resumed segment may stop a step past the rung: the line is at the rung).
    const line = readMetrics(dir).find((l: MetricsLine) => l.step === rung && 'modes' in l);
    if (!line) return writeResult(ctx.sweepDir, { id: t.id, status: 'failed', step: result.steps, metrics: null, decisions, error: `no evaluation at the rung's step ${rung} in ${dir}/metrics.jsonl` });
    const value = metricOf(line, es!.metric);
    const records = await ctx.store.read(group);
    const d = decide(es!, records, t.id, rung, value);
    await ctx.store.record(group, t.id, rung, value);
    decisions.push(`step ${rung}: ${d.why}`);
    ctx.log?.(`trial ${t.id} ${d.stop ? 'stopped' : 'goes on'}: ${d.why}`);
    if (d.stop) {
      return writeResult(ctx.sweepDir, { id: t.id, status: 'stopped-early', step: result.steps, metrics: line, seconds: +((performance.now() - t0) / 1000).toFixed(2), decisions });
    }
  }
}
