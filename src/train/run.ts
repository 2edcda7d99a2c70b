// Train one configuration into a folder: what `gantry train` and each benchmark job do.
import { buildRun, type Run, type RunConfigInput } from './config.js';
import { finishRun, recordRun } from './run-dir.js';
import type { Report } from '../metrics/report.js';

export interface RunResult {
  report: Report | null;
  seconds: number;
  stepsPerSecond: number;
}

export function trainToDir(config: RunConfigInput, dir: string, observe?: (run: Run) => void): RunResult {
  const run = buildRun(config);
  recordRun(run, dir);
  observe?.(run);
  const t0 = performance.now();
  const { report, steps } = run.trainer.run();
  const seconds = (performance.now() - t0) / 1000;
  const stepsPerSecond = steps / seconds;
  finishRun(run, dir, report, { seconds: +seconds.toFixed(2), steps_per_second: +stepsPerSecond.toFixed(1), method: run.config.method, dataset: run.data.name, seed: run.config.seed, steps });
  for (const m of Object.values(run.method.modules)) m.dispose();
  for (const o of Object.values(run.method.optimizers)) o.dispose();
  return { report, seconds, stepsPerSecond };
}
