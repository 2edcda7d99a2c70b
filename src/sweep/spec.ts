// A sweep: a grid or random search over any field of a run's configuration, and over seeds. The
// file (sweep.yaml) names a base configuration (the shape of config.json, as --config takes it),
// `grid` axes (every combination) and/or `random` axes (`samples` draws), seeds, and early stopping.
// Each trial is the base with one point applied and one seed; it is checked by the same schema as
// --config before anything starts, and its id is a hash of its resolved configuration, so the same
// sweep run twice finds its finished trials.
//
//   base: { dataset: { name: ring }, steps: 2000, evalEvery: 250 }
//   grid:
//     method: [nsgan, "wgan-gp:lambda=10:lr=0.001"]     # a method variant sets its options too
//     protocol.lr: [0.0001, 0.001]                      # dot paths reach nested fields
//   random:
//     samples: 4
//     protocol.ema: { choice: [0, 0.999] }
//     methodOptions.lambda: { loguniform: [1, 100] }    # also uniform: [a, b], randint: [a, b]
//   seeds: 3                                            # or a list: [1, 2, 5]
//   early_stopping: { rule: asha, metric: high_quality, mode: max, grace: 500, eta: 3 }
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { parseMethodVariant } from '../methods/index.js';
import { mulberry32 } from '../torch/index.js';
import { checkRunConfig, type RunConfigInput } from '../train/config.js';
import { describeIssues } from '../train/errors.js';

const Scalar = z.union([z.number(), z.string(), z.boolean()]);
const Distribution = z.union([
  z.object({ choice: z.array(Scalar).min(1) }).strict(),
  z.object({ uniform: z.tuple([z.number(), z.number()]) }).strict(),
  z.object({ loguniform: z.tuple([z.number().positive(), z.number().positive()]) }).strict(),
  z.object({ randint: z.tuple([z.number().int(), z.number().int()]) }).strict(),
]);

export const EarlyStoppingSchema = z
  .object({
    /** asha: successive halving at rungs grace·η^k; median: the median-stopping rule at every rung. */
    rule: z.enum(['asha', 'median']),
    /** A metric of the evaluation lines (modes, high_quality, reverse_kl, kl, …). */
    metric: z.string().min(1),
    mode: z.enum(['max', 'min']),
    /** Steps before the first decision (the first rung); a multiple of the trials' evalEvery. */
    grace: z.number().int().positive(),
    /** ASHA's reduction factor: the top 1/η at a rung go on. */
    eta: z.number().int().min(2).default(3),
    /** The median rule's rungs: every this many steps after the grace period (default: grace). */
    every: z.number().int().positive().optional(),
    /** The median rule decides only once this many other trials have reached the rung. */
    minTrials: z.number().int().min(1).default(3),
  })
  .strict();
export type EarlyStopping = z.infer<typeof EarlyStoppingSchema>;

export const SweepSpecSchema = z
  .object({
    name: z.string().regex(/^[\w.-]+$/, 'must be letters, digits, _ . -').optional(),
    base: z.record(z.string(), z.unknown()).default({}),
    grid: z.record(z.string(), z.array(Scalar).min(1)).default({}),
    random: z
      .object({ samples: z.number().int().positive(), seed: z.number().int().min(0).default(0) })
      .catchall(Distribution)
      .optional(),
    /** A count (seeds 1..n) or the seeds themselves. */
    seeds: z.union([z.number().int().positive(), z.array(z.number().int().min(0)).min(1)]).default(1),
    early_stopping: EarlyStoppingSchema.optional(),
  })
  .strict();
export type SweepSpec = z.infer<typeof SweepSpecSchema>;

export interface Trial {
  /** A hash of the trial's resolved configuration (seed included). */
  id: string;
  /** The axes' values of this trial, as written in the sweep (seed apart). */
  point: Record<string, string | number | boolean>;
  seed: number;
  config: RunConfigInput;
  /** The run folder, relative to the sweep folder (default trials/<id>; a benchmark's jobs keep theirs). */
  dir?: string;
}

/** Reads and checks sweep.yaml (or .json). */
export function readSweepSpec(path: string): SweepSpec {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`invalid sweep file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = SweepSpecSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) throw new Error(`invalid sweep file ${path}: ${describeIssues(parsed.error, (p) => p.join('.'))}`);
  return parsed.data;
}

/** Sets `path` (a.b.c) in a copy of `obj`. */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  const out = { ...obj };
  out[head] = rest.length ? setPath((obj[head] as Record<string, unknown>) ?? {}, rest.join('.'), value) : value;
  return out;
}

/** Object keys sorted at every level: one JSON text per configuration, whatever order it was written in. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** A trial's id: the first 12 hex digits of the sha256 of its checked configuration (defaults filled in). */
export function trialId(checked: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(checked))).digest('hex').slice(0, 12);
}

function draw(d: z.infer<typeof Distribution>, rng: () => number): string | number | boolean {
  if ('choice' in d) return d.choice[Math.floor(rng() * d.choice.length)];
  if ('uniform' in d) return d.uniform[0] + rng() * (d.uniform[1] - d.uniform[0]);
  if ('loguniform' in d) return Math.exp(Math.log(d.loguniform[0]) + rng() * (Math.log(d.loguniform[1]) - Math.log(d.loguniform[0])));
  return d.randint[0] + Math.floor(rng() * (d.randint[1] - d.randint[0] + 1));
}

/**
 * The sweep's trials: every grid combination (the last axis varies fastest) × every random draw ×
 * every seed. Refused before anything starts when it expands to no trial or to more than
 * `maxTrials`, or when a trial's configuration is invalid (naming the trial's point and the field).
 */
export function expandSweep(spec: SweepSpec, maxTrials = 1000): Trial[] {
  let points: Record<string, string | number | boolean>[] = [{}];
  for (const [path, values] of Object.entries(spec.grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [path]: v })));
  if (spec.random) {
    const { samples, seed, ...axes } = spec.random;
    const rng = mulberry32(seed + 0x5eed);
    const draws = Array.from({ length: samples }, () => Object.fromEntries(Object.entries(axes).map(([k, d]) => [k, draw(d as z.infer<typeof Distribution>, rng)])));
    points = points.flatMap((p) => draws.map((d) => ({ ...p, ...d })));
  }
  const seeds = typeof spec.seeds === 'number' ? Array.from({ length: spec.seeds }, (_, i) => i + 1) : spec.seeds;
  const count = points.length * seeds.length;
  if (count === 0) throw new Error('invalid sweep: it expands to 0 trials (an axis with no values?)');
  if (count > maxTrials) throw new Error(`invalid sweep: it expands to ${count} trials (${points.length} settings × ${seeds.length} seeds), more than --max-trials ${maxTrials}; narrow it, or raise --max-trials`);
  const trials: Trial[] = [];
  const seen = new Set<string>();
  for (const point of points) {
    for (const seed of seeds) {
      let config: Record<string, unknown> = { ...spec.base, seed };
      for (const [path, value] of Object.entries(point)) {
        if (path === 'method' && typeof value === 'string' && value.includes(':')) {
          const v = parseMethodVariant(value);
          config = setPath(config, 'method', v.id);
          for (const [k, o] of Object.entries(v.options)) config = setPath(config, `methodOptions.${k}`, o);
        } else config = setPath(config, path, value);
      }
      const where = `trial ${JSON.stringify(point)} seed ${seed}`;
      let checked: unknown;
      try {
        checked = checkRunConfig(config as RunConfigInput, (p) => p.join('.'));
      } catch (e) {
        throw new Error(`invalid sweep: ${where}: ${(e as Error).message.replace(/^invalid configuration: /, '')}`);
      }
      const id = trialId(checked);
      if (seen.has(id)) continue;
      seen.add(id);
      trials.push({ id, point, seed, config: config as RunConfigInput });
    }
  }
  return trials;
}

/** A setting's label: its point's axes, seed apart (what the report groups seeds by). */
export const settingOf = (t: Pick<Trial, 'point'>) => Object.entries(t.point).map(([k, v]) => `${k}=${v}`).join(' ') || '(base)';
