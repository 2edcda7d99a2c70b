// The adversarial loop that every objective shares (the loss as a slot, as PyTorch StudioGAN and
// mmgeneration keep it): n_critic discriminator updates, then `gSteps` generator updates.
// gan, nsgan, lsgan, wgan, wgan-gp and pacgan are this loop with another objective or packing;
// wrappers (packing here, instance noise in Method.dIn, the lens in lens.ts) compose with any
// objective: the loop knows only the CriticWrapper interface.
import type { Module, Optimizer } from '../nn/index.js';
import { noGrad, type Tensor } from '../torch/index.js';
import type { Family } from '../nets/index.js';
import { Method, type Losses, type Protocol, type StepContext } from './base.js';

export interface Objective {
  /** D's loss from its outputs on a real and a generated batch. */
  d(real: Tensor, fake: Tensor): Tensor;
  /** G's loss from D's outputs on generated samples. */
  g(fake: Tensor): Tensor;
  /** A term added to D's loss that needs D itself (WGAN-GP's gradient penalty), on D's inputs. */
  penalty?(D: Module, real: Tensor, fake: Tensor): Tensor;
  /** Applied after every D update (WGAN's weight clipping). */
  constrain?(D: Module): void;
  /** D updates per generator update. */
  nCritic: number;
  /** D's output as "higher is more real" for heat maps (σ for logits). */
  score(out: Tensor): Tensor;
}

/**
 * Packs of m samples: [m·n, ...] → [n, m·features] for points, [n, m·c, h, w] for images
 * (consecutive samples form one pack; PacGAN §3).
 */
export function pack(x: Tensor, m: number): Tensor {
  if (m === 1) return x;
  const [, first, ...rest] = x.shape;
  return x.reshape(-1, first * m, ...rest);
}

/** What a wrapper sees after the step's last critic update. */
export interface CriticStep {
  method: AdversarialMethod;
  /** The real batch of that update, before the wrapper's view. */
  x: Tensor;
  /** D's input of generated samples in that update (packed, instance noise applied, detached). */
  fakeIn: Tensor;
  iteration: number;
  /** The step's losses, for the wrapper's own. */
  losses: Losses;
}

/** Something between the real data and the discriminator, with its own update (the lens). */
export interface CriticWrapper {
  /** Networks the wrapper trains, each with an optimizer of G's side; saved with the checkpoints. */
  readonly networks: Record<string, Module>;
  /** D's view of a real batch (no graph needed). */
  real(x: Tensor): Tensor;
  /** The wrapper's own update, after the step's last critic update. */
  afterCritic(step: CriticStep): void;
  /** Real data as D sees it, for the run folder's pictures. */
  views(x: Tensor): Record<string, Tensor>;
}

export class AdversarialMethod extends Method {
  readonly D: Module;
  readonly optD: Optimizer;
  private readonly wrappers: CriticWrapper[] = [];
  constructor(
    p: Protocol,
    family: Family,
    readonly objective: Objective,
    /** Samples per discriminator input (PacGAN's m; 1 is an ordinary GAN). */
    readonly packing = 1,
  ) {
    super(p, family);
    this.D = this.network('D', family.discriminator({ packing }));
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D));
  }

  /** Attaches a wrapper: D sees its view of real data, and it updates after the critic. */
  wrap(w: CriticWrapper): this {
    for (const [name, net] of Object.entries(w.networks)) this.optimizer(name, this.optimizerFor('G', this.network(name, net)));
    this.wrappers.push(w);
    return this;
  }

  /** The objective's discriminator loss with real-side inputs `real` (before packing and instance noise). */
  discriminatorLoss(real: Tensor, fakeIn: Tensor): Tensor {
    return this.objective.d(this.D.forward(pack(this.dIn(real), this.packing)), this.D.forward(fakeIn));
  }

  /** One step of the named optimizer on `loss` (a wrapper's own networks). */
  minimizeWith(name: string, loss: Tensor): number {
    return this.minimize(this.optimizers[name], loss);
  }

  override views(x: Tensor): Record<string, Tensor> {
    return Object.assign({}, ...this.wrappers.map((w) => w.views(x)));
  }

  protected update({ real, iteration }: StepContext): Losses {
    const ob = this.objective;
    const m = this.packing;
    const n = this.protocol.batchSize * m;
    const losses: Losses = {};
    let fake!: Tensor;
    for (let i = 0; i < ob.nCritic; i++) {
      const x = real(n);
      // Only a single critic update hands its batch on to G's update; otherwise no graph is needed.
      const z = this.noise(x.shape[0]);
      fake = ob.nCritic === 1 ? this.G.forward(z) : noGrad(() => this.G.forward(z));
      const xr = this.wrappers.reduce((v, w) => noGrad(() => w.real(v)), x);
      const xIn = pack(this.dIn(xr), m);
      const fakeIn = pack(this.dIn(fake.detach()), m);
      let loss = ob.d(this.D.forward(xIn), this.D.forward(fakeIn));
      if (ob.penalty) {
        const penalty = ob.penalty(this.D, xIn, fakeIn);
        losses.gp = penalty.item();
        loss = loss.add(penalty);
      }
      losses.d = this.minimize(this.optD, loss);
      ob.constrain?.(this.D);
      if (i === ob.nCritic - 1) for (const w of this.wrappers) w.afterCritic({ method: this, x, fakeIn, iteration, losses });
    }
    for (let k = 0; k < this.protocol.gSteps; k++) {
      // With one D update, G's first update reuses the batch D just judged (as the papers' code
      // does); after several critic updates, and for every further G update, a fresh batch.
      if (k > 0 || ob.nCritic > 1) fake = this.G.forward(this.noise(n));
      losses.g = this.minimize(this.optG, ob.g(this.D.forward(pack(this.dIn(fake), m))));
    }
    return losses;
  }

  /** D's score of single points: a pack of m copies of x, as D sees a point on its own. */
  critic(x: Tensor): Tensor {
    const copies = this.packing === 1 ? x : x.repeat(1, this.packing, ...x.shape.slice(2).map(() => 1));
    return this.objective.score(this.D.forward(copies));
  }
}

