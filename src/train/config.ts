// One typed, validated run configuration: method, data, protocol, loop. Defaults are the pinned
// synthetic protocol (docs/PROTOCOLS.md); everything is overridable.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DATASETS, loadDataset, type DataShape, type Dataset } from '../data/index.js';
import { familyFor } from '../nets/index.js';
import { getMethod, ProtocolOverridesSchema, ProtocolSchema, type Method } from '../methods/index.js';
import { Trainer, type LoopOptions } from './trainer.js';
import { getPreset } from './presets.js';
import { describeIssues, flagOf, keysOf, type Describe } from './errors.js';
import { DEVICE_PATTERN, getNumThreads, manualSeed, setNumThreads, useDevice } from '../torch/index.js';

export const RunConfigSchema = z
  .object({
    method: z.string(),
    methodOptions: z.record(z.string(), z.union([z.number(), z.boolean()])).default({}),
    dataset: z
      .object({
        name: z.enum(DATASETS).optional(),
        data: z.string().optional(),
        modes: z.string().optional(),
        sigma: z.string().optional(),
        threshold: z.number().positive().optional(),
        radius: z.number().positive().optional(),
        spacing: z.number().positive().optional(),
        mixtureSigma: z.number().positive().optional(),
        images: z.string().optional(),
        imageSize: z.number().int().min(8).max(256).optional(),
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
        cifar10: z.string().optional(),
        fixedTriples: z.number().int().positive().optional(),
        /** The sha256 of --data when the run started: a run whose data file changed since says so. */
        dataHash: z.string().optional(),
        fixedSeed: z.number().int().min(0).optional(),
      })
      .strict()
      .default({ name: 'ring' }),
    /** An image protocol (train/presets.ts) that fills protocol, budget and sample counts; explicit fields win. */
    preset: z.string().optional(),
    protocol: ProtocolOverridesSchema.default({}),
    /** Generator steps (default 5,000, or the preset's published budget). */
    steps: z.number().int().positive().optional(),
    seed: z.number().int().min(0).default(1),
    evalEvery: z.number().int().min(0).optional(),
    evalSamples: z.number().int().positive().optional(),
    checkpointEvery: z.number().int().min(0).default(5000),
    /**
     * libtorch's threads for this run (results differ between thread counts, in the last bits):
     * config.json records the count used, so `--config` of a benchmark cell's config.json reruns it exactly.
     */
    threads: z.number().int().min(1).max(1024).optional(),
    /** Where the run's tensors live: cpu, cuda (the current GPU) or cuda:N. */
    device: z.string().regex(DEVICE_PATTERN, 'must be cpu, cuda or cuda:N').default('cpu'),
    /** On NaN/Inf losses: stop, or roll back to the last checkpoint and retry at half the learning rates. */
    onDiverge: z.enum(['stop', 'lower-lr']).default('stop'),
    /** At most this many roll-backs with --on-diverge lower-lr. */
    divergeRetries: z.number().int().min(0).max(20).default(3),
    /** Losses (and gradient norms) to metrics.jsonl every this many steps (0: only at evaluations). */
    logEvery: z.number().int().min(0).default(100),
    /** Collapse alarms (src/train/alarms.ts): off, warn (alarms.jsonl and the terminal), or stop (and end the run with a checkpoint, exit 3). */
    onCollapse: z.enum(['off', 'warn', 'stop']).default('warn'),
    /** report.html when the run finishes (a benchmark's jobs leave it to the benchmark's own report). */
    report: z.boolean().default(true),
    /** Live-view snapshots (view/step-N.json) every this many steps, points runs (0: none). */
    viewEvery: z.number().int().min(0).default(100),
    /** The counting classifier's top-probability threshold for the confident-mode count. */
    confidence: z.number().gt(0).lte(1).default(0.99),
  })
  .strict();
export type RunConfigInput = z.input<typeof RunConfigSchema>;
/** A configuration with every default and preset value filled in: config.json of a run. */
export type RunConfig = z.infer<typeof RunConfigSchema> & { steps: number; evalEvery: number; evalSamples: number };

/**
 * Latent size when neither the configuration nor a preset gives one: 2 for points (the 1200-D
 * tables were measured with 2 as well: an earlier version documented 16, but a defaults bug always
 * gave 2, and the numbers are kept), 256 for images (small-d, docs/PROTOCOLS.md).
 */
function latentFor(shape: DataShape): number {
  return shape.kind === 'image' ? 256 : 2;
}

export interface Run {
  config: RunConfig;
  data: Dataset;
  method: Method;
  trainer: Trainer;
}

/** How the loop is driven from outside, given when the run is built. */
export interface BuildOptions {
  /** How a configuration path reads in errors (the `gantry train` flag by default). */
  describe?: Describe;
  /** Asked after every step; a reason stops the loop with a checkpoint (default: SIGINT/SIGTERM). */
  stopRequested?: LoopOptions['stopRequested'];
  /** Messages worth a user's attention (a thread count capped at the cores). */
  log?: (s: string) => void;
  /** The divergence guard: puts `run` back to an earlier step and returns it, or null to give up. */
  onDiverge?: (run: Run, step: number) => number | null;
}

/**
 * The configuration checked against the schema and its method's options, without building anything
 * (no data loaded, no networks): what a sweep checks of every trial before one starts. Returns the
 * schema's output (defaults filled in); the errors name the field, the value and the bound.
 */
export function checkRunConfig(input: RunConfigInput, describe: Describe = flagOf): z.infer<typeof RunConfigSchema> {
  const parsed = RunConfigSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new Error(`invalid configuration: ${describeIssues(parsed.error, describe, [], keysOf(RunConfigSchema))}`);
  const spec = getMethod(parsed.data.method);
  const options = spec.options.safeParse(parsed.data.methodOptions, { reportInput: true });
  if (!options.success) {
    throw new Error(`invalid options for ${spec.id}: ${describeIssues(options.error, describe, ['methodOptions'])} (gantry methods lists the valid ones)`);
  }
  return parsed.data;
}

/**
 * Validates, seeds, loads data and builds the method (networks are initialised from the seed) and
 * its trainer, complete: nothing sets the trainer's options afterwards.
 */
export function buildRun(input: RunConfigInput, o: BuildOptions = {}): Run {
  const describe = o.describe ?? flagOf;
  const config = checkRunConfig(input, describe);
  const spec = getMethod(config.method);
  const options = spec.options.safeParse(config.methodOptions);
  if (!options.success) throw new Error('unreachable: checked by checkRunConfig');
  const preset = config.preset ? getPreset(config.preset) : undefined;
  if (config.threads !== undefined) {
    // More threads than cores only slows libtorch down (1,000 threads: 20 steps took 52 s here).
    const cores = availableParallelism();
    if (config.threads > cores) o.log?.(`${describe(['threads'])} ${config.threads} is more than this machine's ${cores} cores: using ${cores}`);
    setNumThreads(Math.min(config.threads, cores));
  }
  // Networks, optimizer states, data, noise and metrics: every tensor of the run goes there.
  useDevice(config.device, describe(['device']));
  manualSeed(config.seed);
  const given = Object.fromEntries(Object.entries(config.dataset).filter(([, v]) => v !== undefined));
  const dataset = { ...preset?.dataset, ...given };
  const data = loadDataset(dataset);
  // The protocol, each layer over the one before: the schema's defaults, the preset's, the method's
  // paper settings, the user's (flags or --config), and method options naming a protocol field
  // (WGAN's lr). A method's paper optimizer settings replace a preset's wholesale: a preset's
  // per-network rates (lrG, lrD, betasG, betasD) are dropped when the method sets lr or betas, so
  // each optimizer has one learning rate and config.json shows it.
  const paperOptimizer = ['lr', 'beta1', 'beta2'].some((k) => k in (spec.protocolOverrides ?? {}));
  const presetProtocol = Object.fromEntries(Object.entries(preset?.protocol ?? {}).filter(([k]) => !(paperOptimizer && ['lrG', 'lrD', 'betasG', 'betasD'].includes(k))));
  const named = Object.fromEntries((spec.protocolOptions ?? []).filter((k) => options.data[k] !== undefined).map((k) => [k, options.data[k]]));
  const rest = Object.fromEntries(Object.entries(options.data).filter(([k]) => !(spec.protocolOptions ?? []).includes(k as 'lr')));
  const protocolParsed = ProtocolSchema.safeParse({ latentDim: latentFor(data.shape), ...presetProtocol, ...spec.protocolOverrides, ...config.protocol, ...named }, { reportInput: true });
  if (!protocolParsed.success) throw new Error(`invalid configuration: ${describeIssues(protocolParsed.error, describe, ['protocol'])}`);
  const protocol = protocolParsed.data;
  const steps = config.steps ?? preset?.steps ?? 5000;
  const methodOptions = spec.resolveOptions ? spec.resolveOptions(rest as typeof options.data, { steps }) : rest;
  const resolved: RunConfig = {
    ...config,
    dataset,
    methodOptions: methodOptions as Record<string, number | boolean>,
    protocol,
    steps,
    evalEvery: config.evalEvery ?? preset?.evalEvery ?? 1000,
    evalSamples: config.evalSamples ?? preset?.evalSamples ?? 2500,
    threads: getNumThreads(),
  };
  const method = spec.create(protocol, familyFor(data.shape, protocol.nets, protocol.hidden), methodOptions);
  const trainer = new Trainer(method, data, {
    steps: resolved.steps,
    seed: config.seed,
    evalEvery: resolved.evalEvery,
    evalSamples: resolved.evalSamples,
    checkpointEvery: config.checkpointEvery,
    confidence: config.confidence,
    stopRequested: o.stopRequested,
    // The guard runs only where the configuration asks for it (onDiverge: lower-lr).
    onDiverge: o.onDiverge && config.onDiverge === 'lower-lr' ? (step) => o.onDiverge!(run, step) : undefined,
  });
  const run: Run = { config: resolved, data, method, trainer };
  return run;
}

/** Frees a run's networks and optimizer states. */
export function disposeRun(run: Run): void {
  for (const m of Object.values(run.method.modules)) m.dispose();
  for (const opt of Object.values(run.method.optimizers)) opt.dispose();
}
