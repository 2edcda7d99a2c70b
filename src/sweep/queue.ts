// A sweep spread over machines through BullMQ on Redis. `gantry sweep … --queue redis://host:port`
// puts one job per unfinished trial on the queue (the job id is the sweep's and the trial's, so a
// rerun adds nothing twice) and waits for the results; `gantry worker --queue redis://…` on any
// number of machines takes jobs and runs each trial exactly as a local sweep does: in child
// processes, rung to rung, so this process's event loop stays free to renew the job's lock (a
// training loop on it would block the renewal, and BullMQ would hand the job to another worker
// while it still ran). Delivery is at least once; a redelivered trial continues from its last
// checkpoint, and its result is written once, keyed by the trial id.
//
// The sweep folder is on a path every machine shares (NFS, say). Without a shared disk a worker
// writes to its own copy of the folder (`gantry worker --out`), and each job's result travels back
// with the job: the sweep command writes results/<id>.json in its folder; the trials' run folders
// stay on the worker's machine (copy them back with rsync to look at their curves).
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Queue, Worker, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import { localVersions, readResult, versionMismatch, writeResult, type RungStore, type TrialResult, type Versions } from './folder.js';
import { runInChild, signalGuard } from './pool.js';
import type { Records } from './schedulers.js';
import type { EarlyStopping, Trial } from './spec.js';
import { runTrial } from './trial.js';

export const QUEUE_NAME = 'gantry-trials';

/** What a job carries: everything a worker needs, nothing it must look up. */
export interface TrialJob {
  sweepDir: string;
  /** Names the sweep's keys in Redis (rung records), the same from every machine. */
  sweepKey: string;
  trial: Trial;
  earlyStopping?: EarlyStopping;
  versions: Versions;
}

/** host and port of redis://host:port (the only form taken). */
export function parseRedisUrl(url: string): { host: string; port: number } {
  const m = /^redis:\/\/([^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new Error(`invalid --queue ${url}: give redis://host:port (e.g. redis://127.0.0.1:6379)`);
  return { host: m[1], port: m[2] ? Number(m[2]) : 6379 };
}

/** BullMQ's connection: retried for ever (a Redis restart mid-sweep is waited out). */
const connection = (url: string) => ({ ...parseRedisUrl(url), maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(200 * n, 2000) });

/** The sweep's key: a hash of its folder's absolute path and the trials' ids. */
export const sweepKeyOf = (dir: string, trials: Trial[]) => createHash('sha256').update(resolve(dir) + trials.map((t) => t.id).join(',')).digest('hex').slice(0, 12);

/** Rung records in a Redis hash per sweep and group: field `<trial>@<step>`, value the metric. */
export function redisRungStore(redis: Redis, sweepKey: string): RungStore {
  const key = (group: string) => `gantry:rungs:${sweepKey}:${group}`;
  return {
    async read(group) {
      const all = await redis.hgetall(key(group));
      const out: Records = new Map();
      for (const [field, v] of Object.entries(all)) {
        const at = field.lastIndexOf('@');
        const id = field.slice(0, at);
        if (!out.has(id)) out.set(id, new Map());
        out.get(id)!.set(Number(field.slice(at + 1)), Number(v));
      }
      return out;
    },
    async record(group, id, step, value) {
      await redis.hset(key(group), `${id}@${step}`, String(value));
    },
  };
}

const jobIdOf = (sweepKey: string, trialId: string) => `${sweepKey}-${trialId}`;

export interface QueueSweepOptions {
  url: string;
  dir: string;
  trials: Trial[];
  earlyStopping?: EarlyStopping;
  /** How often the sweep looks at its jobs (ms). */
  pollMs?: number;
  log?: (s: string) => void;
}

/**
 * Submits the trials without a result and waits until every one has one. Killed and run again, it
 * reattaches: finished trials are skipped, queued and running ones are not added twice.
 */
export async function runQueueSweep(o: QueueSweepOptions): Promise<Map<string, TrialResult>> {
  const queue = new Queue<TrialJob, TrialResult>(QUEUE_NAME, { connection: connection(o.url) });
  const sweepKey = sweepKeyOf(o.dir, o.trials);
  const versions = localVersions();
  const results = new Map<string, TrialResult>();
  const pending = o.trials.filter((t) => {
    const r = readResult(o.dir, t.id);
    if (r) results.set(t.id, r);
    return !r;
  });
  try {
    await queue.addBulk(
      pending.map((trial) => ({
        name: 'trial',
        data: { sweepDir: resolve(o.dir), sweepKey, trial, earlyStopping: o.earlyStopping, versions },
        // Many attempts: a refusing worker (other versions) or a killed one costs one each.
        opts: { jobId: jobIdOf(sweepKey, trial.id), attempts: 20, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    o.log?.(`${pending.length} trial(s) on the queue ${o.url} (${results.size} done before)`);
    while (results.size < o.trials.length) {
      await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
      for (const t of pending) {
        if (results.has(t.id)) continue;
        const onDisk = readResult(o.dir, t.id);
        if (onDisk) {
          results.set(t.id, onDisk);
          continue;
        }
        let job: BullJob<TrialJob, TrialResult> | undefined;
        try {
          job = await queue.getJob(jobIdOf(sweepKey, t.id));
        } catch {
          continue; // Redis away: wait for it
        }
        const state = job ? await job.getState().catch(() => 'unknown') : 'missing';
        // No shared disk: the result travelled back with the job.
        if (state === 'completed' && job?.returnvalue) results.set(t.id, writeResult(o.dir, job.returnvalue));
        else if (state === 'failed') results.set(t.id, writeResult(o.dir, { id: t.id, status: 'failed', step: 0, metrics: null, decisions: [], error: job?.failedReason ?? 'failed' }));
      }
    }
    return results;
  } finally {
    await queue.close();
  }
}

export interface WorkerOptions {
  url: string;
  /** Trials at once on this machine (each in its own child process). */
  concurrency: number;
  threads: number;
  /** The sweep folder on this machine, when it is not at the path the sweep gave (no shared disk). */
  out?: string;
  /** BullMQ's job lock (ms): a worker killed hands its trial on after about this long. */
  lockMs?: number;
  log?: (s: string) => void;
}

/** `gantry worker`: takes trials until stopped (SIGINT/SIGTERM: the running trials checkpoint and go back on the queue). */
export async function runWorker(o: WorkerOptions): Promise<{ close: () => Promise<void>; done: Promise<string> }> {
  const here = localVersions();
  const redis = new Redis({ ...parseRedisUrl(o.url), maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(200 * n, 2000) });
  const live = new Set<ChildProcess>();
  let finish: (why: string) => void = () => {};
  const done = new Promise<string>((r) => (finish = r));
  let worker: Worker<TrialJob, TrialResult> | null = null;
  const close = async () => {
    await worker?.close().catch(() => undefined);
    redis.disconnect();
  };
  const guard = signalGuard(live);
  const onStop = () => {
    o.log?.('stopping: the running trials checkpoint and go back on the queue');
    void close().then(() => finish('signal'));
  };
  process.once('SIGINT', onStop);
  process.once('SIGTERM', onStop);
  worker = new Worker<TrialJob, TrialResult>(
    QUEUE_NAME,
    async (job) => {
      const mismatch = versionMismatch(job.data.versions, here);
      if (mismatch) {
        o.log?.(`refused trial ${job.data.trial.id}: ${mismatch}`);
        // Back on the queue for a worker with the sweep's versions; this one leaves.
        setImmediate(() => void close().then(() => finish(`refused: ${mismatch}`)));
        throw new Error(`refused by ${mismatch}`);
      }
      const sweepDir = o.out ?? job.data.sweepDir;
      const t = job.data.trial;
      o.log?.(`trial ${t.id} (${JSON.stringify(t.point)}, seed ${t.seed}) from ${sweepDir}`);
      const r = await runTrial(t, {
        sweepDir,
        earlyStopping: job.data.earlyStopping,
        store: redisRungStore(redis, job.data.sweepKey),
        train: (j) => runInChild(j, o.threads, live),
        log: o.log,
      });
      if (!r) throw new Error(`trial ${t.id} interrupted on this worker; it continues from its checkpoint`);
      o.log?.(`trial ${t.id}: ${r.status}`);
      return r;
    },
    { connection: connection(o.url), concurrency: o.concurrency, lockDuration: o.lockMs ?? 30_000, stalledInterval: Math.max(1000, Math.floor((o.lockMs ?? 30_000) / 2)), maxStalledCount: 20 },
  );
  worker.on('error', (e) => o.log?.(`queue: ${e.message}`));
  void done.finally(() => guard.release());
  return { close, done };
}
