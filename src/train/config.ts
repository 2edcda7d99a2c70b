// One typed, validated run configuration: method, data, protocol, loop. Defaults are the pinned
// synthetic protocol (PROTOCOLS.md); everything is overridable.
import { z } from 'zod';
import { DATASETS, loadDataset, type DataShape, type Dataset } from '../data/index.js';
import { familyFor } from '../nets/index.js';
import { getMethod, ProtocolSchema, type Method } from '../methods/index.js';
import { Trainer } from './trainer.js';
import { manualSeed } from '../torch/index.js';

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
      })
      .strict()
      .default({ name: 'ring' }),
    protocol: ProtocolSchema.partial().default({}),
    /** Generator steps. The pinned default budget (VEEGAN trains 100k; see README for ours). */
    steps: z.number().int().positive().default(5000),
    seed: z.number().int().min(0).default(1),
    evalEvery: z.number().int().min(0).default(1000),
    evalSamples: z.number().int().positive().default(2500),
    checkpointEvery: z.number().int().min(0).default(5000),
  })
  .strict();
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type RunConfig = z.infer<typeof RunConfigSchema>;

/** Latent size per dataset when not given: 2 for the 2D sets, 16 for 1200-D (our choice, documented). */
function latentFor(shape: DataShape): number {
  if (shape.kind === 'image') return 256; // small-d (PROTOCOLS.md)
  return shape.dim <= 2 ? 2 : 16;
}

export interface Run {
  config: RunConfig;
  data: Dataset;
  method: Method;
  trainer: Trainer;
}

/** Validates, seeds, loads data and builds the method: networks are initialised from the seed. */
export function buildRun(input: RunConfigInput): Run {
  const parsed = RunConfigSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid run configuration: ${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const spec = getMethod(config.method);
  const options = spec.options.safeParse(config.methodOptions);
  if (!options.success) {
    throw new Error(`invalid options for ${spec.id}: ${z.prettifyError(options.error)} (gantry methods lists the valid ones)`);
  }
  manualSeed(config.seed);
  const data = loadDataset(config.dataset);
  const protocol = ProtocolSchema.parse({ latentDim: latentFor(data.shape), ...spec.protocolOverrides, ...config.protocol });
  const resolved: RunConfig = { ...config, methodOptions: options.data as Record<string, number | boolean>, protocol };
  const method = spec.create(protocol, familyFor(data.shape, protocol.nets, protocol.hidden), options.data);
  const trainer = new Trainer(method, data, {
    steps: config.steps,
    seed: config.seed,
    evalEvery: config.evalEvery,
    evalSamples: config.evalSamples,
    checkpointEvery: config.checkpointEvery,
  });
  return { config: resolved, data, method, trainer };
}
