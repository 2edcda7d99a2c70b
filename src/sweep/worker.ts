// One job per process: receives {config, dir, resume, stopAt}, trains (or resumes), replies with the
// result. With `stopAt`, the run stops with a checkpoint once that step is done (a sweep's rung: the
// scheduler decides in the parent whether it goes on, and a resumed run continues exactly).
// It runs in its own process group, so a Ctrl-C reaches it once, forwarded by the pool; if the
// parent dies (a worker killed), the job stops at its next step with a checkpoint instead of running on.
import { pendingStop, watchSignals } from '../torch/index.js';
import { RunLockedError } from '../train/lock.js';
import { resumeDir, trainToDir } from '../train/run.js';
import { RUNG_STOP, type Job } from './pool.js';

process.once('message', (job: Job) => {
  const parent = process.ppid;
  watchSignals(true);
  let step = 0;
  const stopRequested = () => pendingStop() ?? (process.ppid !== parent ? 'orphaned' : job.stopAt !== undefined && step >= job.stopAt ? RUNG_STOP : null);
  const reply = (m: object) => (process.connected ? process.send!(m, () => process.exit(0)) : process.exit(0));
  try {
    const hooks = { stopRequested, observe: (run: { trainer: { on: (e: 'step', f: (s: { step: number }) => void) => void } }) => run.trainer.on('step', (s) => (step = s.step)) };
    const result = job.resume ? resumeDir(job.dir, hooks) : trainToDir(job.config, job.dir, hooks);
    reply({ ok: true, result });
  } catch (e) {
    reply({ ok: false, error: (e as Error).message, locked: e instanceof RunLockedError });
  }
});
