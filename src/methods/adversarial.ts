// The adversarial loop that every objective shares (the loss as a slot, as PyTorch StudioGAN and
// mmgeneration keep it): n_critic discriminator updates, then `gSteps` generator updates.
// gan, nsgan, lsgan, wgan, wgan-gp and pacgan are this loop with another objective or packing;
// wrappers (packing here, instance noise in Method.dIn, later the lens) compose with any objective.
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
  /** RMSprop instead of Adam for every network, when the objective's paper says so (WGAN); at the protocol's learning rates. */
  rmsprop?: boolean;
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

/** The lens of Tempered Adversarial Networks and its adversarial weight's schedule (src/methods/lens.ts). */
export class Lens {
  constructor(
    readonly net: Module,
    readonly K: number,
  ) {}
  /** The adversarial weight at step t (0-based); K = 0 switches the adversarial term off. */
  lambda(t: number): number {
    if (this.K <= 0 || t > this.K) return 0;
    return 1 - Math.sin((t * Math.PI) / (2 * this.K));
  }
}

export class AdversarialMethod extends Method {
  readonly D: Module;
  readonly optD: Optimizer;
  /** The lens of Tempered Adversarial Networks, when one is attached (src/methods/lens.ts). */
  lens: Lens | null = null;
  constructor(
    p: Protocol,
    family: Family,
    readonly objective: Objective,
    /** Samples per discriminator input (PacGAN's m; 1 is an ordinary GAN). */
    readonly packing = 1,
  ) {
    super(p, family);
    this.D = this.network('D', family.discriminator({ packing }));
    this.optD = this.optimizer('D', objective.rmsprop ? this.rmsprop('D', this.D) : this.adam('D', this.D));
    if (objective.rmsprop) this.optimizer('G', this.rmsprop('G', this.G));
  }

  /** Attaches a lens: D sees L(x) for real x, and L trains after every D update. */
  withLens(net: Module, K: number): this {
    this.lens = new Lens(this.network('L', net), K);
    this.optimizer('L', this.objective.rmsprop ? this.rmsprop('G', net) : this.adam('G', net));
    return this;
  }

  /** λ·(−L_D(L(x), fake)) + ‖x − L(x)‖² (per sample, summed over its elements), one step of L's optimizer. */
  private updateLens(lens: Lens, x: Tensor, fakeIn: Tensor, iteration: number, losses: Losses): void {
    const lambda = lens.lambda(iteration);
    const lensed = lens.net.forward(x);
    const adv = this.objective.d(this.D.forward(pack(this.dIn(lensed), this.packing)), this.D.forward(fakeIn)).neg();
    const rec = x.sub(lensed).square().flatten(1).sum(1).mean();
    this.minimize(this.optimizers.L, adv.mul(lambda).add(rec));
    losses.lambda = lambda;
    losses.lens_rec = rec.item();
  }

  override views(x: Tensor): Record<string, Tensor> {
    const lens = this.lens;
    return lens ? { lensed: noGrad(() => lens.net.forward(x)) } : {};
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
      const xr = this.lens ? noGrad(() => this.lens!.net.forward(x)) : x;
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
      if (this.lens && i === ob.nCritic - 1) this.updateLens(this.lens, x, fakeIn, iteration, losses);
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

