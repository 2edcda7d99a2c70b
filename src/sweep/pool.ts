// A local worker pool: each job trains in its own process (one libtorch thread each), so a
// 2-core machine runs two small runs at once instead of splitting one across both cores.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunConfigInput } from '../train/config.js';
import type { RunResult } from '../train/run.js';

export interface Job {
  config: RunConfigInput;
  dir: string;
}

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

export async function runPool<J extends Job>(jobs: J[], workers: number, onDone: (job: J, result: RunResult | Error) => void): Promise<void> {
  let next = 0;
  const threads = String(Math.max(1, Math.floor((Number(process.env.GANTRY_THREADS) || 2) / workers)));
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const result = await new Promise<RunResult | Error>((resolve) => {
        const child = fork(workerPath, [], { env: { ...process.env, GANTRY_THREADS: threads }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        let stderr = '';
        let settled = false;
        child.stderr?.on('data', (d) => (stderr += d));
        child.on('message', (m: { ok: boolean; result?: RunResult; error?: string }) => {
          settled = true;
          resolve(m.ok ? m.result! : new Error(m.error));
        });
        child.on('exit', (code) => {
          if (!settled) resolve(new Error(`worker exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
        });
        child.send({ config: job.config, dir: job.dir } satisfies Job);
      });
      onDone(job, result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, lane));
}
