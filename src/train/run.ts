// Train one configuration into a folder, or resume one: what `gantry train` and each benchmark job do.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildRun, type Run, type RunConfigInput } from './config.js';
import type { Describe } from './errors.js';
import { FILES, finishRun, hasCheckpoint, readRunConfig, recordRun, restoreCheckpoint, rollBack, type ResumePoint } from './run-dir.js';
import type { Report } from '../metrics/report.js';

export interface RunResult {
  report: Report | null;
  /** Seconds and steps per second of this process's part of the training. */
  seconds: number;
  stepsPerSecond: number;
  /** The last step done. */
  steps: number;
  /** Why the run stopped before its last step ('SIGINT', 'SIGTERM'); it can be resumed. */
  stopped?: string;
}

export interface RunHooks {
  /** Called with the built run before training (the progress bar subscribes here). */
  observe?: (run: Run) => void;
  /** Messages worth a user's attention (a damaged checkpoint skipped, …). */
  log?: (s: string) => void;
  /** How a configuration path reads in errors (the flag, or the config file's field). */
  describe?: Describe;
}

export function trainToDir(config: RunConfigInput, dir: string, hooks: RunHooks = {}): RunResult {
  return execute(buildRun(config, hooks.describe), dir, undefined, hooks);
}

/** Whether a run folder holds a finished run (final.json is written last). */
export const isFinished = (dir: string): boolean => existsSync(join(dir, FILES.final));

/** A finished run's result, from its final.json. */
export function finishedResult(dir: string): RunResult {
  const { seconds, steps_per_second, method, dataset, seed, steps, ...report } = JSON.parse(readFileSync(join(dir, FILES.final), 'utf8'));
  return { report: Object.keys(report).length ? (report as Report) : null, seconds, stepsPerSecond: steps_per_second, steps };
}

/**
 * Continues a run folder from its last good checkpoint: weights, optimizer states, EMA, the method's
 * counters and the random generators, so the finished folder equals an uninterrupted run's.
 * `device` continues on another device than config.json's (this time only; not bit-identical).
 */
export function resumeDir(dir: string, hooks: RunHooks = {}, o: { device?: string } = {}): RunResult {
  const saved = readRunConfig(dir);
  if (isFinished(dir)) throw new Error(`cannot resume ${dir}: the run finished (${FILES.final} is there); gantry eval ${dir} shows its metrics`);
  const trainedOn = saved.device ?? 'cpu';
  const run = buildRun({ ...saved, device: o.device ?? trainedOn });
  if (run.config.device !== trainedOn) hooks.log?.(`continuing on ${run.config.device} a run started on ${trainedOn}: it will not equal an uninterrupted run bit for bit (config.json keeps ${trainedOn})`);
  for (const f of readdirSync(dir).filter((f) => f.includes('.tmp-'))) rmSync(join(dir, f)); // a write cut short
  if (!hasCheckpoint(dir)) {
    // Stopped before its first checkpoint: the same configuration from the start is the same run.
    hooks.log?.(`${dir} has no checkpoint yet: training from step 0`);
    return execute(run, dir, undefined, hooks);
  }
  const from = restoreCheckpoint(run, dir, { rng: true, log: hooks.log });
  run.trainer.o.startStep = from.step;
  return execute(run, dir, from, hooks);
}

function execute(run: Run, dir: string, resume: ResumePoint | undefined, hooks: RunHooks): RunResult {
  recordRun(run, dir, resume);
  hooks.observe?.(run);
  if (run.config.onDiverge === 'lower-lr') {
    // A checkpoint to fall back on from the first step; then at most divergeRetries roll-backs.
    if (!resume) run.trainer.emit('checkpoint', { step: 0, final: false });
    let retries = 0;
    run.trainer.o.onDiverge = (step) => (++retries > run.config.divergeRetries ? null : rollBack(run, dir, step, retries, hooks.log));
  }
  const t0 = performance.now();
  try {
    const { report, steps, stopped } = run.trainer.run();
    const seconds = (performance.now() - t0) / 1000;
    const stepsPerSecond = (steps - (resume?.step ?? 0)) / seconds;
    if (!stopped) {
      const total = +((resume?.seconds ?? 0) + seconds).toFixed(2);
      finishRun(run, dir, report, { seconds: total, steps_per_second: +(steps / total).toFixed(1), method: run.config.method, dataset: run.data.name, seed: run.config.seed, steps });
    }
    return { report, seconds, stepsPerSecond, steps, stopped };
  } finally {
    for (const m of Object.values(run.method.modules)) m.dispose();
    for (const o of Object.values(run.method.optimizers)) o.dispose();
  }
}
