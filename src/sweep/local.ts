// A sweep on this machine: `workers` lanes take trials in order, each trial training in child
// processes (one per segment). Ctrl-C or SIGTERM stops it: the running trials checkpoint, and the
// same command again continues them and skips the finished ones.
import type { ChildProcess } from 'node:child_process';
import { fileRungStore, reopenStopped, readResult, type TrialResult } from './folder.js';
import { runInChild, signalGuard, threadsPerJob } from './pool.js';
import type { EarlyStopping, Trial } from './spec.js';
import { runTrial } from './trial.js';

export interface LocalSweepOptions {
  dir: string;
  trials: Trial[];
  earlyStopping?: EarlyStopping;
  workers: number;
  /** Continue the trials early stopping ended, to their full budget, without early stopping. */
  continueStopped?: boolean;
  log?: (s: string) => void;
}

/** Runs the sweep's unfinished trials; resolves with every trial's result (null: interrupted) and the signal that stopped it, if one did. */
export async function runLocalSweep(o: LocalSweepOptions): Promise<{ results: Map<string, TrialResult | null>; stopped: string | null }> {
  const results = new Map<string, TrialResult | null>();
  let todo = o.trials;
  if (o.continueStopped) {
    todo = o.trials.filter((t) => reopenStopped(o.dir, t.id));
    for (const t of o.trials) if (!todo.includes(t)) results.set(t.id, readResult(o.dir, t.id));
  }
  const live = new Set<ChildProcess>();
  const guard = signalGuard(live);
  const threads = threadsPerJob(o.workers);
  const store = fileRungStore(o.dir);
  const earlyStopping = o.continueStopped ? undefined : o.earlyStopping;
  let next = 0;
  const lane = async () => {
    while (next < todo.length && !guard.stopped()) {
      const t = todo[next++];
      const r = await runTrial(t, { sweepDir: o.dir, earlyStopping, store, train: (job) => runInChild(job, threads, live), log: o.log });
      results.set(t.id, r);
      if (r) o.log?.(`trial ${t.id} (${JSON.stringify(t.point)}, seed ${t.seed}): ${r.status}${r.error ? `: ${r.error}` : ''}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.workers, todo.length) }, lane));
  } finally {
    guard.release();
  }
  return { results, stopped: guard.stopped() };
}
