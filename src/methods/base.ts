// What every method shares: the pinned networks and optimizer of the synthetic protocol
// (PROTOCOLS.md, VEEGAN's code: 2×128 ReLU MLPs, Adam 1e-3, β1 0.5, batch 500), the latent prior,
// and instance noise. A method adds its own networks and one `step()` that reads like its paper.
import { z } from 'zod';
import { Adam, RMSprop, mlp, type Module, type Optimizer } from '../nn/index.js';
import { F, cat, noGrad, randn, randnLike, type Tensor } from '../torch/index.js';

/**
 * The discriminator's loss of the original GAN on logits: −log σ(real) − log(1 − σ(fake)),
 * i.e. softplus(−real) + softplus(fake), averaged (Goodfellow et al. 2014, Algorithm 1).
 */
export function ganDiscriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
  return F.softplus(realLogits.neg()).mean().add(F.softplus(fakeLogits).mean());
}

/** The non-saturating generator loss on logits: −log σ(fake) = softplus(−fake), averaged. */
export function nonSaturatingLoss(fakeLogits: Tensor): Tensor {
  return F.softplus(fakeLogits.neg()).mean();
}

/** The shared protocol; every field can be overridden from the command line. */
export const ProtocolSchema = z.object({
  /** Hidden widths of every MLP (VEEGAN's code: 2 × 128). */
  hidden: z.array(z.number().int().positive()).min(1).default([128, 128]),
  /** Latent dimension of G (and of encoder outputs). */
  latentDim: z.number().int().positive().default(2),
  batchSize: z.number().int().positive().default(500),
  /** Adam learning rate and betas (VEEGAN's code: 1e-3, β1 0.5). */
  lr: z.number().positive().default(1e-3),
  beta1: z.number().min(0).max(1).default(0.5),
  beta2: z.number().min(0).max(1).default(0.999),
  /** Instance noise (Sønderby et al. 2017): σ added to every D input, annealed linearly to 0. */
  instanceNoise: z.number().min(0).default(0),
  instanceNoiseSteps: z.number().int().positive().default(10_000),
  /**
   * Exponential moving average of G's weights used for sampling (Yazıcı et al. 2019, "The unusual
   * effectiveness of averaging in GAN training"); 0 turns it off, 0.999 is typical.
   */
  ema: z.number().min(0).max(1).default(0),
});
export type Protocol = z.infer<typeof ProtocolSchema>;

export type Losses = Record<string, number>;

export interface StepContext {
  /** A fresh batch of real data, [n, dim]. */
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
  private iteration = 0;

  constructor(
    readonly protocol: Protocol,
    readonly dim: number,
  ) {
    this.G = this.network('G', mlp(protocol.latentDim, protocol.hidden, dim));
    this.optimizer('G', this.adam(this.G));
    if (protocol.ema > 0) {
      this.Gema = this.network('G_ema', mlp(protocol.latentDim, protocol.hidden, dim).requiresGrad_(false));
      this.Gema.loadStateDict(this.G.stateDict());
    }
  }

  /** G's optimizer: the protocol's Adam unless the method replaced it (WGAN's RMSprop). */
  get optG(): Optimizer {
    return this.optimizers.G;
  }

  /** One training iteration: the method's discriminator update(s) and its generator update. */
  step(ctx: StepContext): Losses {
    this.iteration = ctx.iteration;
    const losses = this.update(ctx);
    if (this.Gema) {
      const d = this.protocol.ema;
      const target = this.Gema.parameters();
      this.G.parameters().forEach((p, i) => target[i].mul_(d).add_(p, 1 - d));
    }
    return losses;
  }
  protected abstract update(ctx: StepContext): Losses;

  /**
   * The discriminator's view of points, as a score where higher means "more real", for heat maps.
   * Null for methods whose discriminator needs more than x (ALI, VEEGAN).
   */
  abstract critic(x: Tensor): Tensor | null;

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

  noise(n: number): Tensor {
    return randn([n, this.protocol.latentDim]);
  }

  protected network<M extends Module>(name: string, m: M): M {
    this.modules[name] = m;
    return m;
  }
  /** The protocol's MLP discriminator (inputs → hidden → 1 score), registered as 'D'. */
  protected mlpDiscriminator(inputs: number = this.dim): Module {
    return this.network('D', mlp(inputs, this.protocol.hidden, 1));
  }
  protected optimizer<O extends Optimizer>(name: string, o: O): O {
    this.optimizers[name]?.dispose();
    this.optimizers[name] = o;
    return o;
  }
  protected adam(...nets: Module[]): Adam {
    const p = this.protocol;
    return new Adam(nets.flatMap((n) => n.parameters()), { lr: p.lr, betas: [p.beta1, p.beta2] });
  }
  protected rmsprop(lr: number, ...nets: Module[]): RMSprop {
    return new RMSprop(nets.flatMap((n) => n.parameters()), { lr });
  }
  /** Instance noise on a discriminator input: σ_t = σ0 · max(0, 1 − t/T). */
  protected dIn(x: Tensor): Tensor {
    const { instanceNoise: s0, instanceNoiseSteps: T } = this.protocol;
    const s = s0 * Math.max(0, 1 - this.iteration / T);
    return s > 0 ? x.add(randnLike(x).mul(s)) : x;
  }
  /**
   * Minimise `loss` with `opt`. Gradients flow only into opt's parameters: the G step does not
   * compute (or leave behind) gradients for D's weights.
   */
  protected minimize(opt: Optimizer, loss: Tensor): number {
    opt.zeroGrad();
    loss.backward(undefined, { inputs: opt.params });
    opt.step();
    return loss.item();
  }
  /** (x, z) pairs for joint discriminators (ALI, VEEGAN). */
  protected pair(a: Tensor, b: Tensor): Tensor {
    return cat([a, b], 1);
  }
}

/** How a method is listed, configured and built. */
export interface MethodSpec<O extends z.ZodRawShape = z.ZodRawShape> {
  id: string;
  title: string;
  /** The paper and what was taken from it. */
  source: string;
  /** Method-specific hyperparameters, with the paper's defaults. */
  options: z.ZodObject<O>;
  /** Protocol fields this method overrides (e.g. WGAN's RMSprop learning rate). */
  protocolOverrides?: Partial<Protocol>;
  create(protocol: Protocol, dim: number, options: z.infer<z.ZodObject<O>>): Method;
}

export function defineMethod<O extends z.ZodRawShape>(spec: MethodSpec<O>): MethodSpec<O> {
  return spec;
}
