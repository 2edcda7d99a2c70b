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
}

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

/** Runs the jobs; returns the signal that stopped the pool early, or null when every job ran. */
export async function runPool<J extends Job>(jobs: J[], workers: number, onDone: (job: J, result: RunResult | Error) => void): Promise<string | null> {
  let next = 0;
  let stopped: NodeJS.Signals | null = null;
  const live = new Set<ChildProcess>();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopped) return;
    stopped = sig;
    for (const c of live) c.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const threads = String(Math.max(1, Math.floor((Number(process.env.GANTRY_THREADS) || 2) / workers)));
  const lane = async () => {
    while (next < jobs.length && !stopped) {
      const job = jobs[next++];
      const result = await new Promise<RunResult | Error>((resolve) => {
        const child = fork(workerPath, [], { env: { ...process.env, GANTRY_THREADS: threads }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
        live.add(child);
        let stderr = '';
        let settled = false;
        child.stderr?.on('data', (d) => (stderr += d));
        child.on('message', (m: { ok: boolean; result?: RunResult; error?: string }) => {
          settled = true;
          resolve(m.ok ? m.result! : new Error(m.error));
        });
        child.on('exit', (code) => {
          live.delete(child);
          if (!settled) resolve(new Error(`worker exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
        });
        child.send({ config: job.config, dir: job.dir, resume: job.resume } satisfies Job);
      });
      // A job stopped part-way is not done: its checkpoint waits for --resume.
      if (result instanceof Error || !result.stopped) onDone(job, result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, lane));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return stopped;
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
