// The one training loop for every method: seeded, scoped (every step's tensors freed), evaluated
// every N steps, checkpointed every M steps, guarded against divergence. It emits events; the
// progress bar, the run directory and the dashboard subscribe. It writes nothing itself.
import { EventEmitter } from 'node:events';
import type { Dataset } from '../data/index.js';
import { evaluateSamples } from '../metrics/evaluate.js';
import type { Report } from '../metrics/report.js';
import type { Losses, Method } from '../methods/index.js';
import { manualSeed, scope } from '../torch/index.js';

export interface LoopOptions {
  steps: number;
  seed: number;
  /** Evaluate the mode metrics every this many steps (0: only at the end). */
  evalEvery: number;
  /** Samples drawn for each evaluation (docs/PROTOCOLS.md: 2,500 points; 25,600 Stacked-MNIST images). */
  evalSamples: number;
  /** The counting classifier's confidence for the confident-mode count (images). */
  confidence?: number;
  /** Emit a checkpoint event every this many steps (0: only at the end). */
  checkpointEvery: number;
  /** Step to start from when resuming. */
  startStep?: number;
}

export interface TrainerEvents {
  step: [{ step: number; steps: number; losses: Losses }];
  eval: [{ step: number; report: Report | null }];
  checkpoint: [{ step: number; final: boolean }];
  diverged: [{ step: number; losses: Losses }];
}

export class DivergenceError extends Error {}

export class Trainer extends EventEmitter<TrainerEvents> {
  constructor(
    readonly method: Method,
    readonly data: Dataset,
    readonly o: LoopOptions,
  ) {
    super();
  }

  /** Mode metrics on fresh samples (null when the data has no known modes). */
  evaluate(n = this.o.evalSamples): Report | null {
    if (!this.data.target && !this.data.digits) return null;
    return evaluateSamples(this.data, (k) => this.method.sample(k), n, { confidence: this.o.confidence });
  }

  run(): { report: Report | null; steps: number } {
    const { steps, evalEvery, checkpointEvery } = this.o;
    const start = this.o.startStep ?? 0;
    const batch = this.method.protocol.batchSize;
    for (let step = start; step < steps; step++) {
      const losses = scope(() => this.method.step({ real: (n = batch) => this.data.sampler.sample(n), iteration: step }));
      if (Object.values(losses).some((v) => !Number.isFinite(v))) {
        this.emit('diverged', { step: step + 1, losses });
        throw new DivergenceError(
          `training diverged at step ${step + 1} (losses ${JSON.stringify(losses)}); the last checkpoint is kept. ` +
            'Lower the learning rate (--lr) or try another seed.',
        );
      }
      const done = step + 1;
      this.emit('step', { step: done, steps, losses });
      if (evalEvery > 0 && done % evalEvery === 0 && done < steps) this.emit('eval', { step: done, report: this.evaluate() });
      if (checkpointEvery > 0 && done % checkpointEvery === 0 && done < steps) this.emit('checkpoint', { step: done, final: false });
    }
    manualSeed(evalSeed(this.o.seed));
    const report = this.evaluate();
    this.emit('eval', { step: steps, report });
    this.emit('checkpoint', { step: steps, final: true });
    return { report, steps };
  }
}

/** The seed of the final evaluation's samples: `gantry eval` reproduces final.json with it. */
export const evalSeed = (seed: number) => seed + 1_000_003;
