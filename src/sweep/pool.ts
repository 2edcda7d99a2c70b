// A local worker pool: each job trains in its own process (one libtorch thread each), so a
// 2-core machine runs two small runs at once instead of splitting one across both cores.
// SIGINT or SIGTERM stops the pool: no new job starts, the running ones get the signal once
// (they run in their own process groups), finish their step, checkpoint and report 'stopped'.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunConfigInput } from '../train/config.js';
import { existsSync } from 'node:fs';
import { FILES, readRunConfig } from '../train/run-files.js';
import { finishedResult, isFinished, type RunResult } from '../train/run.js';

/** A benchmark stopped by SIGINT or SIGTERM; its finished runs and checkpoints are kept for --resume. */
export class BenchStopped extends Error {
  constructor(readonly signal: string) {
    super(`stopped by ${signal}`);
  }
}

export interface Job {
  config: RunConfigInput;
  dir: string;
  /** Continue the job's folder from its last checkpoint instead of starting it. */
  resume?: boolean;
  /** Stop with a checkpoint once this step is done (a sweep's rung). */
  stopAt?: number;
}

/** A job whose run folder another live process is writing (a killed worker's trial, still stopping). */
export class JobLockedError extends Error {}

/** The stop reason of a job that reached its `stopAt` step. */
export const RUNG_STOP = 'rung';

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

/**
 * One job in its own process (its own process group) with `threads` libtorch threads; resolves with
 * its result, or an Error naming how it failed. `live` holds the child while it runs (for signals).
 */
export function runInChild(job: Job, threads: number, live?: Set<ChildProcess>): Promise<RunResult | Error> {
  return new Promise<RunResult | Error>((resolve) => {
    const child = fork(workerPath, [], { env: { ...process.env, GANTRY_THREADS: String(threads) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
    live?.add(child);
    let stderr = '';
    let settled = false;
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('message', (m: { ok: boolean; result?: RunResult; error?: string; locked?: boolean }) => {
      settled = true;
      resolve(m.ok ? m.result! : m.locked ? new JobLockedError(m.error) : new Error(m.error));
    });
    child.on('exit', (code, signal) => {
      live?.delete(child);
      if (!settled) resolve(new Error(`worker exited with ${signal ?? `code ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
    child.send({ config: job.config, dir: job.dir, resume: job.resume, stopAt: job.stopAt } satisfies Job);
  });
}

/** libtorch threads per job when `workers` jobs share this machine's GANTRY_THREADS (default 2). */
export const threadsPerJob = (workers: number) => Math.max(1, Math.floor((Number(process.env.GANTRY_THREADS) || 2) / workers));

/**
 * Forwards SIGINT/SIGTERM to the live children once (they finish their step and checkpoint) and
 * remembers it; `release` removes the handlers.
 */
export function signalGuard(live: Set<ChildProcess>): { stopped: () => NodeJS.Signals | null; release: () => void } {
  let stopped: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopped) return;
    stopped = sig;
    for (const c of live) c.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped: () => stopped,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Runs the jobs; returns the signal that stopped the pool early, or null when every job ran. */
export async function runPool<J extends Job>(jobs: J[], workers: number, onDone: (job: J, result: RunResult | Error) => void): Promise<string | null> {
  let next = 0;
  const live = new Set<ChildProcess>();
  const guard = signalGuard(live);
  const threads = threadsPerJob(workers);
  const lane = async () => {
    while (next < jobs.length && !guard.stopped()) {
      const job = jobs[next++];
      const result = await runInChild(job, threads, live);
      // A job stopped part-way is not done: its checkpoint waits for --resume.
      if (result instanceof Error || !result.stopped) onDone(job, result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, lane));
  } finally {
    guard.release();
  }
  return guard.stopped();
}

/**
 * runPool for a benchmark that can be resumed: with `resume`, a job whose folder holds its finished
 * run is not trained again (its final.json is the result), and one stopped part-way continues from
 * its checkpoint. A folder holding a different run (method, seed or steps) is an error, before
 * anything trains.
 */
export async function runJobs<J extends Job>(jobs: J[], workers: number, resume: boolean, onDone: (job: J, result: RunResult | Error) => void): Promise<string | null> {
  const todo: J[] = [];
  const finished: J[] = [];
  for (const job of jobs) {
    if (!resume || !existsSync(join(job.dir, FILES.config))) {
      todo.push(job);
      continue;
    }
    const saved = readRunConfig(job.dir);
    for (const k of ['method', 'seed', 'steps'] as const) {
      if (job.config[k] !== undefined && saved[k] !== job.config[k]) {
        throw new Error(`invalid --resume: ${job.dir} holds another run (${k} ${JSON.stringify(saved[k])}, this benchmark asks ${JSON.stringify(job.config[k])}); use the same options or another --out`);
      }
    }
    if (isFinished(job.dir)) finished.push(job);
    else todo.push({ ...job, resume: true });
  }
  for (const job of finished) onDone(job, finishedResult(job.dir));
  return runPool(todo, workers, onDone);
}
