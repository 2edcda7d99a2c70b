// A finished (or stopped) run, loaded back from its folder: the networks from the last good
// checkpoint, and samples and metrics drawn with the run's own evaluation seed, so what is
// computed here equals what the run wrote in final.json.
import type { Report } from '../metrics/report.js';
import { manualSeed, type Tensor } from '../torch/index.js';
import { restoreCheckpoint } from './checkpoints.js';
import { buildRun, disposeRun, type Run } from './config.js';
import { readRunConfig } from './run-files.js';
import { evalSeed } from './trainer.js';

/** n samples of the run's generator on its evaluation stream (the final evaluation's first draws). */
export function evaluationSamples(run: Run, n: number): Tensor {
  manualSeed(evalSeed(run.config.seed));
  return run.method.sample(n);
}

/**
 * Rebuilds a run from its folder: config.json plus the checkpoint's weights and method state, on
 * config.json's device or `device`.
 */
export function loadRun(dir: string, o: { device?: string } = {}): Run {
  const config = readRunConfig(dir);
  const run = buildRun({ ...config, device: o.device ?? config.device });
  restoreCheckpoint(run, dir, { log: (s) => console.error(`gantry: ${s}`) });
  return run;
}

/** n evaluation samples of a run folder's generator (what the benchmarks' image metrics score). */
export function sampleRun(dir: string, n: number, o: { device?: string } = {}): Tensor {
  const run = loadRun(dir, o);
  try {
    return evaluationSamples(run, n);
  } finally {
    disposeRun(run);
  }
}

/** `gantry eval`: the final evaluation again, from the checkpoint, with the same sample seed. */
export function evaluateRun(dir: string, o: { device?: string } = {}): Report | null {
  return loadRun(dir, o).trainer.finalEvaluation();
}
