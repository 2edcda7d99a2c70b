// A benchmark on the queue: its jobs are a sweep with a fixed grid. Each job becomes a trial whose
// run folder is the job's own (runs/<dataset>/<method>/seed-N under the benchmark's --out), the
// benchmark's folder is the sweep folder (sweep.json, results/), and `gantry worker`s anywhere
// train them; the table is made from the results as a local benchmark's is.
import { relative } from 'node:path';
import type { Report } from '../metrics/report.js';
import { checkRunConfig } from '../train/config.js';
import { readFinal } from '../train/run-files.js';
import { isFinished, type RunResult } from '../train/run.js';
import { trialDir, writeSweepRecord } from './folder.js';
import { runJobs, type Job } from './pool.js';
import { runQueueSweep } from './queue.js';
import { SweepSpecSchema, trialId, type Trial } from './spec.js';

export async function runJobsOnQueue<J extends Job>(jobs: J[], url: string, out: string, onDone: (job: J, result: RunResult | Error) => void, log?: (s: string) => void): Promise<void> {
  const trials: Trial[] = jobs.map((job) => {
    const dir = relative(out, job.dir);
    return { id: trialId(checkRunConfig(job.config)), point: { run: dir }, seed: job.config.seed ?? 1, config: job.config, dir };
  });
  writeSweepRecord(out, SweepSpecSchema.parse({ name: 'benchmark' }), trials);
  const results = await runQueueSweep({ url, dir: out, trials, log });
  jobs.forEach((job, i) => {
    const r = results.get(trials[i].id)!;
    if (r.status !== 'done') return onDone(job, new Error(r.error ?? r.status));
    const folder = trialDir(out, trials[i]);
    // The run folder is here (a shared disk): its final.json; otherwise what the job brought back.
    if (isFinished(folder)) {
      const f = readFinal(folder);
      return onDone(job, { report: f.report, seconds: f.seconds, stepsPerSecond: f.stepsPerSecond, steps: f.steps });
    }
    onDone(job, { report: r.metrics as unknown as Report, seconds: r.seconds ?? NaN, stepsPerSecond: NaN, steps: r.step });
  });
}

/** A benchmark's jobs: through the queue with `queue` (redis://…), else on this machine's pool. Returns the signal that stopped the pool, if one did. */
export async function runBenchJobs<J extends Job>(jobs: J[], o: { workers: number; resume?: boolean; queue?: string; out: string }, onDone: (job: J, result: RunResult | Error) => void, log?: (s: string) => void): Promise<string | null> {
  if (!o.queue) return runJobs(jobs, o.workers, o.resume ?? false, onDone);
  await runJobsOnQueue(jobs, o.queue, o.out, onDone, log);
  return null;
}
