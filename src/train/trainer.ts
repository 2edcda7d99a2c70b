// The one training loop for every method: seeded, scoped (every step's tensors freed), evaluated
// every N steps, checkpointed every M steps, guarded against divergence, stoppable between steps.
// It emits events; the progress bar and the run directory subscribe. It writes nothing itself.
import { EventEmitter } from 'node:events';
import type { Dataset } from '../data/index.js';
import { evaluateSamples } from '../metrics/evaluate.js';
import type { Report } from '../metrics/report.js';
import type { Losses, Method } from '../methods/index.js';
import { manualSeed, pendingStop, scope } from '../torch/index.js';

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
  /**
   * Asked after every step; a truthy answer (e.g. 'SIGINT') stops the loop after that step, with a
   * checkpoint. Default: a SIGINT or SIGTERM recorded by watchSignals().
   */
  stopRequested?: () => string | null;
  /**
   * Called when a step's losses are not finite: return the step to continue from (the caller has
   * put the networks, optimizers and generator back to that step, e.g. from the last checkpoint),
   * or null to give up. Without it, the loop throws DivergenceError.
   */
  onDiverge?: (step: number, losses: Losses) => number | null;
}

export interface TrainerEvents {
  step: [{ step: number; steps: number; losses: Losses }];
  eval: [{ step: number; report: Report | null }];
  checkpoint: [{ step: number; final: boolean }];
  diverged: [{ step: number; losses: Losses }];
  /** The loop stopped early on request, after writing a checkpoint at `step`. */
  stopped: [{ step: number; reason: string }];
}

export interface LoopResult {
  report: Report | null;
  /** The last step done: `steps` when finished, less when stopped. */
  steps: number;
  /** Why the loop stopped early ('SIGINT', 'SIGTERM', …); absent when it finished. */
  stopped?: string;
}

export class DivergenceError extends Error {}

export class Trainer extends EventEmitter<TrainerEvents> {
  constructor(
    readonly method: Method,
    readonly data: Dataset,
    private readonly o: Readonly<LoopOptions>,
  ) {
    super();
  }

  /** Mode metrics on fresh samples (null when the data has no known modes). */
  evaluate(n = this.o.evalSamples): Report | null {
    if (!this.data.target && !this.data.digits) return null;
    return evaluateSamples(this.data, (k) => this.method.sample(k), n, { confidence: this.o.confidence });
  }

  /** The final evaluation: mode metrics on samples drawn from the run's evaluation seed. */
  finalEvaluation(): Report | null {
    manualSeed(evalSeed(this.o.seed));
    return this.evaluate();
  }

  /** Trains from step `from` (a resumed run's checkpoint step; the caller restored it) to `steps`. */
  run(from = 0): LoopResult {
    const { steps, evalEvery, checkpointEvery } = this.o;
    const stopRequested = this.o.stopRequested ?? pendingStop;
    const batch = this.method.protocol.batchSize;
    for (let step = from; step < steps; step++) {
      const losses = scope(() => this.method.step({ real: (n = batch) => this.data.sampler.sample(n), iteration: step }));
      if (Object.values(losses).some((v) => !Number.isFinite(v))) {
        this.emit('diverged', { step: step + 1, losses });
        const from = this.o.onDiverge?.(step + 1, losses) ?? null;
        if (from === null) {
          // With a guard that gave up, its retries are spent: advising it again would send the user round in a circle.
          const fix = this.o.onDiverge
            ? 'The divergence guard has used its retries (--diverge-retries): lower the learning rate further (--lr), or try another seed.'
            : 'Lower the learning rate (--lr), try another seed, or let gantry retry at a lower rate (--on-diverge lower-lr).';
          throw new DivergenceError(`training diverged at step ${step + 1} (losses ${JSON.stringify(losses)}). ${fix}`);
        }
        step = from - 1; // the loop's step++ continues at `from`
        continue;
      }
      const done = step + 1;
      this.emit('step', { step: done, steps, losses });
      if (evalEvery > 0 && done % evalEvery === 0 && done < steps) this.emit('eval', { step: done, report: this.evaluate() });
      const stop = done < steps ? stopRequested() : null;
      if ((checkpointEvery > 0 && done % checkpointEvery === 0 && done < steps) || stop) this.emit('checkpoint', { step: done, final: false });
      if (stop) {
        this.emit('stopped', { step: done, reason: stop });
        return { report: null, steps: done, stopped: stop };
      }
    }
    const report = this.finalEvaluation();
    this.emit('eval', { step: steps, report });
    this.emit('checkpoint', { step: steps, final: true });
    return { report, steps };
  }
}

/** The seed of the final evaluation's samples: `gantry eval` reproduces final.json with it. */
export const evalSeed = (seed: number) => seed + 1_000_003;
