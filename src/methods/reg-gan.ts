// Mode-regularized GAN (Che et al. 2017, papers/000, "Reg-GAN"). An encoder E: X → Z is trained
// jointly, and the generator's non-saturating loss gains two regularizers on the real batch x:
//
//   metric regularizer  λ1 · d(x, G(E(x)))          d = pixel ℓ2 (mean squared error over every
//                                                     non-batch element), or ℓ2 between D's
//                                                     penultimate features (featureDistance=true)
//   mode regularizer    λ2 · (−log D(G(E(x))))       "to encourage G(E(x)) to move towards a nearby
//                                                     mode of the data": G∘E(x) should look real to D
//
//   G minimises  −log D(G(z)) + λ1·d(x, G(E(x))) + λ2·(−log D(G(E(x))))
//   E minimises            λ1·d(x, G(E(x))) + λ2·(−log D(G(E(x))))
//   D maximises  log D(x) + log(1 − D(G(z)))          (the ordinary GAN discriminator)
//
// papers/000 has its equations stripped and the printed paper's sign of the mode term is read both
// ways by reimplementations; this is the stated intent (docs/PROTOCOLS.md), and a test checks it:
// the mode term's gradient raises D(G(E(x))). Paper defaults from its grid search: λ1 = 0.2,
// λ2 = 0.4 (the 2D toy used 0.005 for both).
//
// The generator's BatchNorm keeps separate batch statistics for noise batches (stream 0) and encoder
// batches (stream 1), sharing its affine parameters (appendix B). E's initial weights come from a
// private random stream, and the terms are always computed: with λ1 = λ2 = 0 the run is nsgan's,
// step for step and bit for bit (a test).
import { z } from 'zod';
import { Sequential, type Module } from '../nn/index.js';
import type { Family } from '../nets/index.js';
import { withForkedStream, type Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';
import { ganDiscriminatorLoss, nonSaturatingLoss } from './gan.js';

export interface RegGanOptions {
  lambda1: number;
  lambda2: number;
  /** d between D's penultimate features instead of pixels. */
  featureDistance: boolean;
}

/** Mean squared difference over every non-batch element, averaged over the batch. */
const meanSquared = (a: Tensor, b: Tensor) => a.sub(b).square().mean();

export class RegGAN extends Method {
  readonly D: Module;
  readonly E: Module;
  readonly optD;
  constructor(
    p: Protocol,
    family: Family,
    readonly o: RegGanOptions,
  ) {
    super(p, family, { bnStreams: 2 });
    this.D = this.network('D', family.discriminator());
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D));
    this.E = this.network('E', withForkedStream(0xe, () => family.encoder(p.latentDim)));
    this.optimizer('G', this.optimizerFor('G', this.G, this.E));
  }

  /** D's features of x: every layer but the last (the discriminator is a Sequential in both families). */
  private features(x: Tensor): Tensor {
    if (!(this.D instanceof Sequential)) throw new Error("reg-gan's featureDistance needs a Sequential discriminator");
    return this.D.forwardBody(x);
  }

  protected update({ real }: StepContext): Losses {
    const n = this.protocol.batchSize;
    const x = real(n);
    let fake = this.G.forward(this.noise(n));
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.forward(this.dIn(x)), this.D.forward(this.dIn(fake.detach()))));
    const losses: Losses = { d };
    for (let k = 0; k < this.protocol.gSteps; k++) {
      // As nsgan: G's first update reuses the batch D judged; every further one draws a fresh one.
      if (k > 0) fake = this.G.forward(this.noise(n));
      const adv = nonSaturatingLoss(this.D.forward(this.dIn(fake)));
      const rec = this.generateFromCode(this.E.forward(x));
      const metric = this.o.featureDistance ? meanSquared(this.features(x), this.features(rec)) : meanSquared(x, rec);
      const mode = nonSaturatingLoss(this.D.forward(this.dIn(rec)));
      losses.g = this.minimize(this.optG, adv.add(metric.mul(this.o.lambda1)).add(mode.mul(this.o.lambda2)));
      losses.metric = metric.item();
      losses.mode = mode.item();
    }
    return losses;
  }

  critic(x: Tensor): Tensor {
    return this.D.forward(x).sigmoid();
  }
}

export const regGan = defineMethod({
  id: 'reg-gan',
  title: 'Mode-regularized GAN',
  source: 'Che et al. 2017 (encoder E; metric regularizer λ1·d(x, G(E(x))), mode regularizer λ2·(−log D(G(E(x)))); separate BN statistics)',
  options: z
    .object({
      lambda1: z.number().min(0).max(1e3).default(0.2),
      lambda2: z.number().min(0).max(1e3).default(0.4),
      featureDistance: z.boolean().default(false),
    })
    .strict(),
  create: (p, family, o) => new RegGAN(p, family, o),
});
