// One benchmark job per process: receives {config, dir}, trains, replies with the result.
import { trainToDir } from '../train/run.js';
import type { Job } from './pool.js';

process.once('message', (job: Job) => {
  try {
    const result = trainToDir(job.config, job.dir);
    process.send!({ ok: true, result }, () => process.exit(0));
  } catch (e) {
    process.send!({ ok: false, error: (e as Error).message }, () => process.exit(0));
  }
});
