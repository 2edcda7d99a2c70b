// Train one configuration into a folder, or resume one: what `gantry train` and each benchmark job do.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DiskWriteError, pendingStop, readJsonLines, writeFileAtomic } from '../torch/index.js';
import { ALARM_DEFAULTS, appendAlarm, CollapseWatch, replayMetrics } from './alarms.js';
import { hasCheckpoint, restoreCheckpoint, rollBack, type ResumePoint } from './checkpoints.js';
import { buildRun, disposeRun, type Run, type RunConfigInput } from './config.js';
import type { Describe } from './errors.js';
import { lockRunFolder } from './lock.js';
import { finishRun, recordRun, type Recording } from './recorder.js';
import { FILES, isFinished, readFinal, readMetrics, readRunConfig } from './run-files.js';
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
  /** Called with the built run before training (the progress bar subscribes to its events here). */
  observe?: (run: Run) => void;
  /** Messages worth a user's attention (a damaged checkpoint skipped, …). */
  log?: (s: string) => void;
  /** How a configuration path reads in errors (the flag, or the config file's field). */
  describe?: Describe;
  /** Asked after every step; a reason stops the run with a checkpoint (default: SIGINT/SIGTERM). */
  stopRequested?: () => string | null;
}

export function trainToDir(config: RunConfigInput, dir: string, hooks: RunHooks = {}): RunResult {
  const release = lockRunFolder(dir, hooks.log);
  try {
    const collapse: CollapseStop = { reason: null };
    return execute(build(config, dir, hooks, collapse), dir, undefined, hooks, collapse);
  } finally {
    release();
  }
}

export { isFinished } from './run-files.js';

/** A finished run's result, from its final.json. */
export const finishedResult = (dir: string): RunResult => readFinal(dir);

/**
 * Continues a run folder from its last good checkpoint: weights, optimizer states, EMA, the method's
 * counters and the random generators, so the finished folder equals an uninterrupted run's.
 * `device` continues on another device than config.json's (this time only; not bit-identical).
 */
export function resumeDir(dir: string, hooks: RunHooks = {}, o: { device?: string; onCollapse?: 'off' | 'warn' | 'stop' } = {}): RunResult {
  const saved = readRunConfig(dir);
  const release = lockRunFolder(dir, hooks.log);
  try {
    return resumeLocked(dir, saved, hooks, o);
  } finally {
    release();
  }
}

function resumeLocked(dir: string, saved: RunConfigInput, hooks: RunHooks, o: { device?: string; onCollapse?: 'off' | 'warn' | 'stop' }): RunResult {
  if (isFinished(dir)) throw new Error(`cannot resume ${dir}: the run finished (${FILES.final} is there); gantry eval ${dir} shows its metrics`);
  const trainedOn = saved.device ?? 'cpu';
  const collapse: CollapseStop = { reason: null };
  const run = build({ ...saved, device: o.device ?? trainedOn, onCollapse: o.onCollapse ?? saved.onCollapse }, dir, hooks, collapse);
  if (run.config.device !== trainedOn) hooks.log?.(`continuing on ${run.config.device} a run started on ${trainedOn}: it will not equal an uninterrupted run bit for bit (config.json keeps ${trainedOn})`);
  for (const f of readdirSync(dir).filter((f) => f.includes('.tmp-'))) rmSync(join(dir, f)); // a write cut short
  if (!hasCheckpoint(dir)) {
    // Stopped before its first checkpoint: the same configuration from the start is the same run.
    hooks.log?.(`${dir} has no checkpoint yet: training from step 0`);
    return execute(run, dir, undefined, hooks, collapse);
  }
  return execute(run, dir, restoreCheckpoint(run, dir, { rng: true, log: hooks.log }), hooks, collapse);
}

/** Why a collapse alarm stopped the run (--on-collapse stop), shared by the trainer's stop check and the watch. */
interface CollapseStop {
  reason: string | null;
}

/** The run with its trainer complete: how it is stopped (signals, a collapse alarm), and the divergence guard (--on-diverge lower-lr). */
function build(config: RunConfigInput, dir: string, hooks: RunHooks, collapse: CollapseStop): Run {
  let retries = 0;
  return buildRun(config, {
    describe: hooks.describe,
    log: hooks.log,
    stopRequested: () => (hooks.stopRequested ?? pendingStop)() ?? collapse.reason,
    onDiverge: (run, step) => (++retries <= run.config.divergeRetries ? rollBack(run, dir, step, retries, hooks.log) : null),
  });
}

/** A run stopped because a file could not be written; the folder's last good checkpoint is named. */
export class RunWriteError extends DiskWriteError {
  constructor(e: DiskWriteError, dir: string, lastGood: number | null) {
    super(e.path, e.code, '');
    this.message =
      `${e.message}. Training stopped; ` +
      (lastGood === null ? `${dir} has no checkpoint yet` : `the last good checkpoint is at step ${lastGood}: free some space and continue with gantry train --resume ${dir}`);
  }
}

function execute(run: Run, dir: string, resume: ResumePoint | undefined, hooks: RunHooks, collapse: CollapseStop): RunResult {
  let recording: Recording | undefined;
  try {
    recording = recordRun(run, dir, resume, hooks.log);
    watchCollapse(run, dir, resume, hooks, collapse);
    hooks.observe?.(run);
    // The divergence guard's first fall-back point.
    if (run.config.onDiverge === 'lower-lr' && !resume) recording.checkpoint(0);
    return train(run, dir, resume);
  } catch (e) {
    if (e instanceof DiskWriteError && !(e instanceof RunWriteError)) throw new RunWriteError(e, dir, recording?.lastGood() ?? resume?.step ?? null);
    throw e;
  } finally {
    disposeRun(run);
  }
}

/**
 * The collapse alarms of a run (--on-collapse warn|stop; off: none): alarms.jsonl, the terminal,
 * and with stop the trainer's stop check. Resuming, the watch first replays metrics.jsonl up to the
 * checkpoint, so an alarm already raised is not raised again, and alarms.jsonl is cut back to it.
 */
function watchCollapse(run: Run, dir: string, resume: ResumePoint | undefined, hooks: RunHooks, collapse: CollapseStop): void {
  const mode = run.config.onCollapse;
  if (mode === 'off') return;
  const path = join(dir, FILES.alarms);
  const watch = new CollapseWatch(ALARM_DEFAULTS, () => {});
  const { logEvery } = run.config;
  if (resume) {
    replayMetrics(watch, readMetrics(dir), logEvery);
    const kept = (readJsonLines(path).lines as { step: number }[]).filter((a) => a.step <= resume.step);
    writeFileAtomic(path, kept.map((a) => JSON.stringify(a) + '\n').join(''));
  } else if (existsSync(path)) rmSync(path);
  watch.onAlarm = (a) => {
    appendAlarm(path, a);
    hooks.log?.(`collapse alarm at step ${a.step}: ${a.rule}: ${a.message}${mode === 'stop' ? ' (--on-collapse stop: stopping with a checkpoint)' : ''}`);
    if (mode === 'stop') collapse.reason ??= `collapse:${a.rule}`;
  };
  run.trainer.on('step', ({ step, losses }) => logEvery > 0 && step % logEvery === 0 && watch.losses(step, losses));
  run.trainer.on('eval', ({ step, report }) => watch.evaluation(step, report));
}

/** The loop from the resumed step; then, when it was not stopped, the run's outputs and final.json. */
function train(run: Run, dir: string, resume: ResumePoint | undefined): RunResult {
  const t0 = performance.now();
  const { report, steps, stopped } = run.trainer.run(resume?.step ?? 0);
  const seconds = (performance.now() - t0) / 1000;
  const stepsPerSecond = (steps - (resume?.step ?? 0)) / seconds;
  if (!stopped) {
    const total = +((resume?.seconds ?? 0) + seconds).toFixed(2);
    finishRun(run, dir, report, { seconds: total, steps_per_second: +(steps / total).toFixed(1), method: run.config.method, dataset: run.data.name, seed: run.config.seed, steps });
  }
  return { report, seconds, stepsPerSecond, steps, stopped };
}
