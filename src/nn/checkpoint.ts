// Checkpoints: modules and optimizer states in one safetensors file, loadable from Python.
// Keys: `<module>.<param>` and `optim.<name>.<index>.<buffer>`; optimizer steps and hyper-
// parameters, and whatever the caller adds, go in the metadata as JSON. With `rng`, the generators'
// states are saved as `rng.cpu` (and `rng.cuda:0`, … for the default device) and restored on load,
// so training resumes exactly.
import { getRngState, runGenerators, safetensors, scope, setRngState, type Tensor } from '../torch/index.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';

export interface Checkpointable {
  modules: Record<string, Module>;
  optimizers?: Record<string, Optimizer>;
}

export function saveCheckpoint(path: string, what: Checkpointable, meta: Record<string, unknown> = {}, o: { rng?: boolean; previous?: string } = {}): void {
  scope(() => saveTensors(path, what, meta, o));
}

/** Every module's state dict under its name: `<module>.<param or buffer>` (the checkpoint's keys). */
export function modulesState(modules: Record<string, Module>): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, m] of Object.entries(modules)) for (const [k, t] of Object.entries(m.stateDict())) tensors[`${name}.${k}`] = t;
  return tensors;
}

function saveTensors(path: string, what: Checkpointable, meta: Record<string, unknown>, o: { rng?: boolean; previous?: string }): void {
  const tensors = modulesState(what.modules);
  if (o.rng) for (const d of runGenerators()) tensors[`rng.${d}`] = getRngState(d);
  const optimizerMeta: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(what.optimizers ?? {})) {
    const s = o.stateDict();
    for (const [k, t] of Object.entries(s.tensors)) tensors[`optim.${name}.${k}`] = t;
    optimizerMeta[name] = s.meta;
  }
  safetensors.saveFile(path, tensors, { gantry: JSON.stringify({ ...meta, optimizers: optimizerMeta }) }, o.previous);
}

/**
 * Loads into existing modules and optimizers (shapes must match) and returns the saved metadata;
 * with `rng`, the generators continue from their saved states (an error if the file has none; a
 * device the file has no state for, after a change of device, keeps its own).
 */
export function loadCheckpoint(path: string, into: Checkpointable, o: { rng?: boolean } = {}): Record<string, unknown> {
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
    for (const [name, opt] of Object.entries(into.optimizers ?? {})) {
      opt.loadStateDict({ tensors: pick(`optim.${name}.`), meta: meta.optimizers?.[name] ?? {} });
    }
    if (o.rng) {
      if (!tensors['rng.cpu']) throw new Error(`checkpoint ${path} has no random generator state (written before gantry saved it): it cannot be resumed exactly`);
      for (const d of runGenerators()) if (tensors[`rng.${d}`]) setRngState(tensors[`rng.${d}`], d);
    }
    return meta;
  });
}
