// A sweep folder, the one record of a sweep (local or spread over machines through a queue):
//   sweep.json          the spec, its trials (id, point, seed, configuration) and the versions it was made with
//   trials/<id>/        each trial's run folder (checkpoints, metrics, view…), as gantry train writes it
//   results/<id>.json   each trial's outcome, written once: done, stopped-early or failed
//   rungs/<group>/<id>.json   the values each trial reported at its rungs (early stopping, local sweeps)
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { engineInfo, packageRoot, writeFileAtomic } from '../torch/index.js';
import { LOCK_FILE } from '../train/lock.js';
import type { SweepSpec, Trial } from './spec.js';
import type { Records } from './schedulers.js';

export type TrialStatus = 'done' | 'stopped-early' | 'failed';

export interface TrialResult {
  id: string;
  status: TrialStatus;
  /** The last step trained. */
  step: number;
  /** The final evaluation (done), or the evaluation line at the rung it stopped at (stopped-early). */
  metrics: Record<string, unknown> | null;
  seconds?: number;
  /** The scheduler's reasons, rung by rung. */
  decisions: string[];
  error?: string;
  host: string;
  written: string;
}

/** What a sweep's trials must be trained with: a worker with other versions is refused. */
export interface Versions {
  gantry: string;
  libtorch: string;
}

export function localVersions(): Versions {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return { gantry: pkg.version, libtorch: engineInfo().libtorch };
}

/** Null when they match; otherwise a message naming both. */
export function versionMismatch(sweep: Versions, here: Versions): string | null {
  const diff = (['gantry', 'libtorch'] as const).filter((k) => sweep[k] !== here[k]);
  if (!diff.length) return null;
  return `this machine (${hostname()}) has ${diff.map((k) => `${k} ${here[k]}`).join(', ')}, the sweep was made with ${diff.map((k) => `${k} ${sweep[k]}`).join(', ')}: install the sweep's versions on this machine, or start the sweep again from here`;
}

export interface SweepRecord {
  spec: SweepSpec;
  trials: Trial[];
  versions: Versions;
  created: string;
}

/** A trial's run folder: trials/<id> in the sweep folder, or where the trial says (a benchmark's job). */
export const trialDir = (dir: string, t: Pick<Trial, 'id' | 'dir'>) => join(dir, t.dir ?? join('trials', t.id));
const resultPath = (dir: string, id: string) => join(dir, 'results', `${id}.json`);

/** Writes sweep.json (a rerun keeps the first one's creation time). */
export function writeSweepRecord(dir: string, spec: SweepSpec, trials: Trial[]): SweepRecord {
  mkdirSync(join(dir, 'results'), { recursive: true });
  const old = existsSync(join(dir, 'sweep.json')) ? readSweepRecord(dir) : null;
  const record: SweepRecord = { spec, trials, versions: localVersions(), created: old?.created ?? new Date().toISOString() };
  writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify(record, null, 2) + '\n');
  return record;
}

export function readSweepRecord(dir: string): SweepRecord {
  const path = join(dir, 'sweep.json');
  if (!existsSync(path)) throw new Error(`${dir} is not a sweep folder: sweep.json is missing (gantry sweep sweep.yaml --out ${dir} starts one)`);
  return JSON.parse(readFileSync(path, 'utf8')) as SweepRecord;
}

export function readResult(dir: string, id: string): TrialResult | null {
  try {
    return JSON.parse(readFileSync(resultPath(dir, id), 'utf8')) as TrialResult;
  } catch {
    return null;
  }
}

/**
 * A trial's result, written once: a result already there (a redelivered trial finished twice, or
 * by another worker) is kept, and returned.
 */
export function writeResult(dir: string, r: Omit<TrialResult, 'host' | 'written'>): TrialResult {
  const had = readResult(dir, r.id);
  if (had) return had;
  const full: TrialResult = { ...r, host: hostname(), written: new Date().toISOString() };
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileAtomic(resultPath(dir, r.id), JSON.stringify(full, null, 2) + '\n');
  return full;
}

/** Moves a stopped-early result aside (results/<id>.stopped-early.json) so the trial can be continued (`--continue-stopped`). */
export function reopenStopped(dir: string, id: string): boolean {
  if (readResult(dir, id)?.status !== 'stopped-early') return false;
  renameSync(resultPath(dir, id), join(dir, 'results', `${id}.stopped-early.json`));
  return true;
}

/** Where trials record their rung values; a sweep on one machine keeps them in its folder. */
export interface RungStore {
  read(group: string): Promise<Records>;
  record(group: string, id: string, step: number, value: number): Promise<void>;
}

const safe = (group: string) => group.replace(/[^\w.-]/g, '_');

export function fileRungStore(dir: string): RungStore {
  return {
    async read(group) {
      const at = join(dir, 'rungs', safe(group));
      const out: Records = new Map();
      if (!existsSync(at)) return out;
      for (const f of readdirSync(at).filter((f) => f.endsWith('.json'))) {
        try {
          const values = JSON.parse(readFileSync(join(at, f), 'utf8')) as Record<string, number>;
          out.set(f.slice(0, -5), new Map(Object.entries(values).map(([s, v]) => [Number(s), v])));
        } catch {
          // being written
        }
      }
      return out;
    },
    async record(group, id, step, value) {
      const at = join(dir, 'rungs', safe(group));
      mkdirSync(at, { recursive: true });
      const path = join(at, `${id}.json`);
      let values: Record<string, number> = {};
      try {
        values = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
      } catch {
        // the first rung
      }
      values[String(step)] = value;
      writeFileAtomic(path, JSON.stringify(values));
    },
  };
}

export type TrialState = TrialStatus | 'submitted' | 'running';

/** Each trial's state from the folder: its result, or running (its run folder is locked), or submitted. */
export function trialStates(dir: string): { trial: Trial; state: TrialState; result: TrialResult | null }[] {
  const { trials } = readSweepRecord(dir);
  return trials.map((trial) => {
    const result = readResult(dir, trial.id);
    if (result) return { trial, state: result.status, result };
    return { trial, state: existsSync(join(trialDir(dir, trial), LOCK_FILE)) ? 'running' : 'submitted', result: null };
  });
}
