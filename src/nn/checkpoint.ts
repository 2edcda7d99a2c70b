// Checkpoints: modules and optimizer states in one safetensors file, loadable from Python.
// Keys: `<module>.<param>` and `optim.<name>.<index>.<buffer>`; optimizer steps and hyper-
// parameters, and whatever the caller adds, go in the metadata as JSON.
import { safetensors, scope, type Tensor } from '../torch/index.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';

export interface Checkpointable {
  modules: Record<string, Module>;
  optimizers?: Record<string, Optimizer>;
}

export function saveCheckpoint(path: string, what: Checkpointable, meta: Record<string, unknown> = {}): void {
  const tensors: Record<string, Tensor> = {};
  const optimizerMeta: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(what.modules)) {
    for (const [k, t] of Object.entries(m.stateDict())) tensors[`${name}.${k}`] = t;
  }
  for (const [name, o] of Object.entries(what.optimizers ?? {})) {
    const s = o.stateDict();
    for (const [k, t] of Object.entries(s.tensors)) tensors[`optim.${name}.${k}`] = t;
    optimizerMeta[name] = s.meta;
  }
  safetensors.saveFile(path, tensors, { gantry: JSON.stringify({ ...meta, optimizers: optimizerMeta }) });
}

/** Loads into existing modules and optimizers (shapes must match) and returns the saved metadata. */
export function loadCheckpoint(path: string, into: Checkpointable): Record<string, unknown> {
  return scope(() => {
    const { tensors, metadata } = safetensors.loadFile(path);
    const meta = JSON.parse(metadata.gantry ?? '{}') as Record<string, unknown> & { optimizers?: Record<string, Record<string, number>> };
    const pick = (prefix: string) =>
      Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t]));
    for (const [name, m] of Object.entries(into.modules)) {
      try {
        m.loadStateDict(pick(`${name}.`));
      } catch (e) {
        throw new Error(`checkpoint ${path}, module '${name}': ${(e as Error).message}`);
      }
    }
    for (const [name, o] of Object.entries(into.optimizers ?? {})) {
      o.loadStateDict({ tensors: pick(`optim.${name}.`), meta: meta.optimizers?.[name] ?? {} });
    }
    return meta;
  });
}
