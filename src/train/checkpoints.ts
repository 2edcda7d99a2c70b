// A run's checkpoints: saved atomically with the one before kept (checkpoint.prev.safetensors),
// restored from the last good one, and the divergence guard's roll-back to it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../nn/index.js';
import { scope } from '../torch/index.js';
import type { Run } from './config.js';
import { FILES, readMetrics, rewriteMetrics } from './run-files.js';

/** Where a resumed run starts: the checkpoint's step and the training seconds before it. */
export interface ResumePoint {
  step: number;
  seconds: number;
}

export const hasCheckpoint = (dir: string): boolean => [FILES.checkpoint, FILES.previousCheckpoint].some((f) => existsSync(join(dir, f)));

/**
 * Every network, optimizer, the method's state and the random generators at `step`; refused (the
 * last checkpoint kept) when a network's weights are not finite.
 */
export function saveRunCheckpoint(run: Run, dir: string, at: ResumePoint): void {
  const bad = Object.entries(run.method.modules).find(([, m]) => !scope(() => m.parameters().every((p) => Number.isFinite(p.sum().item()))));
  if (bad) throw new Error(`not writing a checkpoint at step ${at.step}: the weights of ${bad[0]} are not finite (the last checkpoint is kept)`);
  saveCheckpoint(
    join(dir, FILES.checkpoint),
    { modules: run.method.modules, optimizers: run.method.optimizers },
    { step: at.step, seconds: at.seconds, methodState: run.method.state },
    { rng: true, previous: join(dir, FILES.previousCheckpoint) },
  );
}

/**
 * Loads a run folder's last good checkpoint into `run` (weights, optimizers, method state and, with
 * `rng`, the random generator): checkpoint.safetensors, or the one before it when the last one is
 * damaged, said through `log`. Returns the step and the seconds trained before it.
 */
export function restoreCheckpoint(run: Run, dir: string, o: { rng?: boolean; log?: (s: string) => void } = {}): ResumePoint {
  const candidates = [FILES.checkpoint, FILES.previousCheckpoint].map((f) => join(dir, f)).filter((p) => existsSync(p));
  if (!candidates.length) throw new Error(`${dir} has no ${FILES.checkpoint} yet (the run saves one every checkpointEvery steps, when stopped, and at the end)`);
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      const meta = loadCheckpoint(path, { modules: run.method.modules, optimizers: run.method.optimizers }, { rng: o.rng });
      run.method.state = (meta.methodState as Record<string, number>) ?? {};
      if (errors.length) o.log?.(`${errors.join('; ')}; using ${path} (step ${meta.step}) instead`);
      return { step: Number(meta.step ?? 0), seconds: Number(meta.seconds ?? 0) };
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new Error(`no usable checkpoint in ${dir}: ${errors.join('; ')}`);
}

/**
 * The divergence guard's roll-back: the last good checkpoint back into `run`, metrics.jsonl cut to
 * its step plus a line saying what happened, every optimizer's learning rate halved from the one
 * that diverged. Returns the step to continue from.
 */
export function rollBack(run: Run, dir: string, divergedAt: number, retry: number, log?: (s: string) => void): number {
  const before = Object.fromEntries(Object.entries(run.method.optimizers).map(([k, o]) => [k, o.lr]));
  const { step } = restoreCheckpoint(run, dir, { rng: true, log });
  const lr: Record<string, number> = {};
  for (const [k, o] of Object.entries(run.method.optimizers)) lr[k] = o.lr = before[k] / 2;
  rewriteMetrics(dir, [...readMetrics(dir).filter((l) => l.step <= step), { step, event: 'diverged', diverged_at: divergedAt, retry, lr }]);
  log?.(`losses not finite at step ${divergedAt}: back to the checkpoint of step ${step}, learning rates halved (${Object.entries(lr).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}), retry ${retry}`);
  return step;
}
