// One benchmark job per process: receives {config, dir, resume}, trains (or resumes), replies with
// the result. It runs in its own process group, so a Ctrl-C reaches it once, forwarded by the pool;
// if the pool itself dies, the job stops at its next step with a checkpoint instead of running on.
import { pendingStop, watchSignals } from '../torch/index.js';
import { resumeDir, trainToDir } from '../train/run.js';
import type { Job } from './pool.js';

process.once('message', (job: Job) => {
  const parent = process.ppid;
  watchSignals(true);
  const stopRequested = () => pendingStop() ?? (process.ppid !== parent ? 'orphaned' : null);
  const reply = (m: object) => (process.connected ? process.send!(m, () => process.exit(0)) : process.exit(0));
  try {
    const hooks = { stopRequested };
    const result = job.resume ? resumeDir(job.dir, hooks) : trainToDir(job.config, job.dir, hooks);
    reply({ ok: true, result });
  } catch (e) {
    reply({ ok: false, error: (e as Error).message });
  }
});
