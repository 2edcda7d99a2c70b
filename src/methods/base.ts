// What every method shares: the protocol (networks, optimizers, batch, latent prior; defaults are
// the synthetic protocol of docs/PROTOCOLS.md, VEEGAN's code: 2×128 ReLU MLPs, Adam 1e-3, β1 0.5,
// batch 500), the generator and its weight average, instance noise. A method asks its family for
// the other networks by role and adds one `step()` that reads like its paper.
import { z } from 'zod';
import type { DataShape } from '../data/shape.js';
import type { Family, GeneratorOptions } from '../nets/index.js';
import { Adam, RMSprop, parametersOf, useStream, type Module, type Optimizer } from '../nn/index.js';
import { noGrad, rand, randn, randnLike, type Tensor } from '../torch/index.js';

/** The shared protocol; every field can be overridden from the command line or a preset. */
export const ProtocolSchema = z.object({
  /** Network family: `auto` (MLP for points, small-d ¼G for images), mlp, small-d-quarter, small-d-half, veegan, lens. */
  nets: z.string().default('auto'),
  /** Hidden widths of every MLP (VEEGAN's code: 2 × 128). */
  hidden: z.array(z.number().int().positive().max(16_384)).min(1).max(64).default([128, 128]),
  /** Latent dimension of G (and of encoder outputs). */
  latentDim: z.number().int().positive().max(65_536).default(2),
  /** The latent prior: N(0, 1), or U(−1, 1) (the veegan image protocol). */
  prior: z.enum(['normal', 'uniform']).default('normal'),
  batchSize: z.number().int().positive().max(1_000_000).default(500),
  /** Adam learning rate and betas of every network (VEEGAN's code: 1e-3, β1 0.5)... */
  lr: z.number().positive().max(10).default(1e-3),
  beta1: z.number().min(0).max(1).default(0.5),
  beta2: z.number().min(0).max(1).default(0.999),
  /** ...unless G's or D's own are given (small-d: D 2e-4, G 1e-4, β = (0.5, 0.99)). */
  lrG: z.number().positive().max(10).optional(),
  lrD: z.number().positive().max(10).optional(),
  betasG: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).optional(),
  betasD: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).optional(),
  /** The optimizer of every network: Adam, or RMSprop where a method's paper says so (WGAN). */
  optimizer: z.enum(['adam', 'rmsprop']).default('adam'),
  /** Generator updates per discriminator update (the veegan image protocol: 2). */
  gSteps: z.number().int().positive().max(100).default(1),
  /** Instance noise (Sønderby et al. 2017): σ added to every D input, annealed linearly to 0. */
  instanceNoise: z.number().min(0).max(100).default(0),
  instanceNoiseSteps: z.number().int().positive().max(1e9).default(10_000),
  /**
   * Exponential moving average of G's weights used for sampling (Yazıcı et al. 2019, "The unusual
   * effectiveness of averaging in GAN training"); 0 turns it off, 0.999 is typical.
   */
  ema: z.number().min(0).max(1).default(0),
});
export type Protocol = z.infer<typeof ProtocolSchema>;

/**
 * Protocol fields as overrides: every field optional and no defaults, so that an override object
 * holds only what was given. (zod's .partial() keeps inner defaults, which silently replaced a
 * preset's or a dataset's values with the schema's.)
 */
export const ProtocolOverridesSchema = z
  .object(Object.fromEntries(Object.entries(ProtocolSchema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()])))
  .strict() as unknown as z.ZodType<Partial<Protocol>>;

/** Which optimizer a network's parameters belong to: G's side (G, encoders) or D's. */
export type Role = 'G' | 'D';

export type Losses = Record<string, number>;

export interface StepContext {
  /** A fresh batch of real data, [n, ...shape]. */
  real(n?: number): Tensor;
  /** The generator step being taken (0-based). */
  iteration: number;
}

export abstract class Method {
  readonly G: Module;
  /** The weight average of G that `sample()` uses when `protocol.ema` > 0. */
  readonly Gema: Module | null = null;
  /** Every network, for checkpoints (G first). */
  readonly modules: Record<string, Module> = {};
  readonly optimizers: Record<string, Optimizer> = {};
  readonly shape: DataShape;
  private iteration = 0;
  /** G's BatchNorm stream for codes that came from an encoder (1 when G keeps two streams). */
  private readonly codeStream: number;
  /** grad_norm_<optimizer> of this step's last update of each network (G, D, E, L, ...), logged with the losses. */
  private gradNorms: Losses = {};

  constructor(
    readonly protocol: Protocol,
    readonly family: Family,
    /** How the generator is built (Mode-regularized GAN: two BatchNorm streams). */
    generator: GeneratorOptions = {},
  ) {
    this.shape = family.shape;
    this.codeStream = (generator.bnStreams ?? 1) > 1 ? 1 : 0;
    this.G = this.network('G', family.generator(protocol.latentDim, generator));
    this.optimizer('G', this.optimizerFor('G', this.G));
    if (protocol.ema > 0) {
      this.Gema = this.network('G_ema', family.generator(protocol.latentDim, generator).requiresGrad_(false));
      this.Gema.loadStateDict(this.G.stateDict());
    }
  }

  /** G's optimizer (with an encoder's parameters, where a method trains one on G's side). */
  get optG(): Optimizer {
    return this.optimizers.G;
  }

  /** One training iteration: the method's discriminator update(s) and its generator update(s). */
  step(ctx: StepContext): Losses {
    this.iteration = ctx.iteration;
    this.gradNorms = {};
    const losses = { ...this.update(ctx), ...this.gradNorms };
    if (this.Gema) {
      const d = this.protocol.ema;
      const target = this.Gema.parameters();
      noGrad(() => this.G.parameters().forEach((p, i) => target[i].mul_(d).add_(p, 1 - d)));
    }
    return losses;
  }
  protected abstract update(ctx: StepContext): Losses;

  /**
   * The discriminator's view of points, as a score where higher means "more real", for heat maps.
   * Null for methods whose discriminator needs more than x (ALI, VEEGAN).
   */
  abstract critic(x: Tensor): Tensor | null;

  /** Other views of a batch of real data for the run folder's figures (the lens: L(x)). */
  views(_x: Tensor): Record<string, Tensor> {
    return {};
  }

  /** Scalars a method carries between steps (BEGAN's k_t); saved with checkpoints. */
  get state(): Record<string, number> {
    return {};
  }
  set state(_s: Record<string, number>) {}

  /** n samples from G, or from its weight average when `protocol.ema` > 0 (no graph). */
  sample(n: number): Tensor {
    const G = this.Gema ?? this.G;
    return noGrad(() => {
      G.eval();
      const x = G.forward(this.noise(n));
      G.train();
      return x;
    });
  }

  /**
   * G on latent codes that came from an encoder (E(x), or an intervened E(x)): through BatchNorm's
   * second stream when G was built with two (Mode-regularized GANs, appendix B), so the statistics G
   * samples with stay those of noise batches.
   */
  protected generateFromCode(code: Tensor): Tensor {
    if (this.codeStream === 0) return this.G.forward(code);
    useStream(this.G, this.codeStream);
    try {
      return this.G.forward(code);
    } finally {
      useStream(this.G, 0);
    }
  }

  /** n latent codes from the prior. */
  noise(n: number): Tensor {
    const shape = [n, this.protocol.latentDim];
    return this.protocol.prior === 'uniform' ? rand(shape).mul(2).sub(1) : randn(shape);
  }

  protected network<M extends Module>(name: string, m: M): M {
    this.modules[name] = m;
    return m;
  }
  protected optimizer<O extends Optimizer>(name: string, o: O): O {
    this.optimizers[name]?.dispose();
    this.optimizers[name] = o;
    return o;
  }
  /** The protocol's optimizer (Adam or RMSprop) for G's side or D's side, over the networks' parameters (each once). */
  protected optimizerFor(role: Role, ...nets: Module[]): Optimizer {
    return this.protocol.optimizer === 'rmsprop' ? this.rmsprop(role, ...nets) : this.adam(role, ...nets);
  }
  /** The protocol's Adam, whatever protocol.optimizer says (Unrolled GAN differentiates through Adam's update). */
  protected adam(role: Role, ...nets: Module[]): Adam {
    const p = this.protocol;
    const lr = (role === 'G' ? p.lrG : p.lrD) ?? p.lr;
    const betas = (role === 'G' ? p.betasG : p.betasD) ?? [p.beta1, p.beta2];
    return new Adam(parametersOf(...nets), { lr, betas });
  }
  /** RMSprop at the protocol's learning rate for G's side or D's side (WGAN). */
  private rmsprop(role: Role, ...nets: Module[]): RMSprop {
    const p = this.protocol;
    return new RMSprop(parametersOf(...nets), { lr: (role === 'G' ? p.lrG : p.lrD) ?? p.lr });
  }
  /** Instance noise on a discriminator input: σ_t = σ0 · max(0, 1 − t/T). */
  protected dIn(x: Tensor): Tensor {
    const { instanceNoise: s0, instanceNoiseSteps: T } = this.protocol;
    const s = s0 * Math.max(0, 1 - this.iteration / T);
    return s > 0 ? x.add(randnLike(x).mul(s)) : x;
  }
  /**
   * Minimise `loss` with `opt` (and the optimizers in `also`, each stepping its own networks, as
   * MDGAN's G and E). Gradients flow only into their parameters: the G step does not compute (or
   * leave behind) gradients for D's weights.
   */
  protected minimize(opt: Optimizer, loss: Tensor, also: Optimizer[] = []): number {
    const opts = [opt, ...also];
    for (const o of opts) o.zeroGrad();
    loss.backward(undefined, { inputs: opts.flatMap((o) => o.params) });
    for (const o of opts) {
      const name = Object.keys(this.optimizers).find((k) => this.optimizers[k] === o);
      if (name) this.gradNorms[`grad_norm_${name}`] = o.gradNorm();
      o.step();
    }
    return loss.item();
  }
}

/** Options as the registry carries them: an object that the method's own schema parsed. */
export type MethodOptions = Record<string, unknown>;

/** How a method is listed, configured and built (the registry's shape; defineMethod makes one). */
export interface MethodSpec {
  id: string;
  title: string;
  /** The paper and what was taken from it. */
  source: string;
  /** Method-specific hyperparameters, with the paper's defaults. */
  options: z.ZodObject<z.ZodRawShape>;
  /** Protocol fields this method overrides (e.g. WGAN's RMSprop learning rate). */
  protocolOverrides?: Partial<Protocol>;
  /**
   * Method options that are the protocol's optimizer settings under the method's own name (WGAN's
   * `lr`): given, they set the protocol's field (and win over --lr); config.json shows them there.
   */
  protocolOptions?: readonly ('lr' | 'beta1' | 'beta2')[];
  /** Options that depend on the run's budget (the lens's K at a shortened budget), filled before create. */
  resolveOptions?(options: MethodOptions, run: { steps: number }): MethodOptions;
  create(protocol: Protocol, family: Family, options: MethodOptions): Method;
}

/** A method as its file writes it: create and resolveOptions see options typed by its own schema. */
export interface MethodDefinition<O extends z.ZodRawShape> extends Omit<MethodSpec, 'options' | 'resolveOptions' | 'create'> {
  options: z.ZodObject<O>;
  resolveOptions?(options: z.infer<z.ZodObject<O>>, run: { steps: number }): z.infer<z.ZodObject<O>>;
  create(protocol: Protocol, family: Family, options: z.infer<z.ZodObject<O>>): Method;
}

/** The registry's spec of a definition: options reach the method through its own schema's parse. */
export function defineMethod<O extends z.ZodRawShape>(d: MethodDefinition<O>): MethodSpec {
  const { resolveOptions } = d;
  return {
    ...d,
    resolveOptions: resolveOptions && ((o, run) => resolveOptions(d.options.parse(o), run)),
    create: (protocol, family, o) => d.create(protocol, family, d.options.parse(o)),
  };
}
