// Manifold-diffusion GAN (Che et al. 2017, papers/000, §3.3 and appendix A, Figure 8): two
// discriminators and an encoder E, each network with its own optimizer, in two steps per iteration.
//
//   manifold step   D1 ascends log D1(x) + log(1 − D1(G(E(x))))
//                   G and E descend −log D1(G(E(x))) + λ·d(x, G(E(x)))      (d: pixel ℓ2, mean squared)
//   diffusion step  D2 ascends log D2(G(E(x))) + log(1 − D2(G(z)))
//                   G descends −log D2(G(z))
//
// The manifold step makes G∘E an autoencoder whose outputs lie on the data manifold; the diffusion
// step then spreads G(z) over the distribution of G(E(x)), i.e. over every mode the encoder sees.
// λ is not given in papers/000's text; the default 0.2 is the metric weight of its grid search. The
// generator's BatchNorm keeps separate statistics for encoder batches and noise batches (appendix B).
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Family } from '../nets/index.js';
import { withForkedStream, type Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';
import { ganDiscriminatorLoss, nonSaturatingLoss } from './gan.js';

export class MDGAN extends Method {
  readonly E: Module;
  readonly D1: Module;
  readonly D2: Module;
  readonly optE;
  readonly optD1;
  readonly optD2;
  constructor(
    p: Protocol,
    family: Family,
    readonly o: { lambda: number },
  ) {
    super(p, family, { bnStreams: 2 });
    this.D1 = this.network('D1', family.discriminator());
    this.D2 = this.network('D2', family.discriminator());
    this.E = this.network('E', withForkedStream(0xe, () => family.encoder(p.latentDim)));
    this.optD1 = this.optimizer('D1', this.optimizerFor('D', this.D1));
    this.optD2 = this.optimizer('D2', this.optimizerFor('D', this.D2));
    this.optE = this.optimizer('E', this.optimizerFor('G', this.E));
  }

  protected update({ real }: StepContext): Losses {
    const n = this.protocol.batchSize;
    const x = real(n);
    // Manifold step.
    let rec = this.generateFromCode(this.E.forward(x));
    const d1 = this.minimize(this.optD1, ganDiscriminatorLoss(this.D1.forward(this.dIn(x)), this.D1.forward(this.dIn(rec.detach()))));
    const dist = x.sub(rec).square().mean();
    const manifold = nonSaturatingLoss(this.D1.forward(this.dIn(rec))).add(dist.mul(this.o.lambda));
    const gm = this.minimize(this.optG, manifold, [this.optE]);
    // Diffusion step: G(E(x)) from the updated networks is D2's "real" side.
    rec = this.generateFromCode(this.E.forward(x)).detach();
    let fake = this.G.forward(this.noise(n));
    const d2 = this.minimize(this.optD2, ganDiscriminatorLoss(this.D2.forward(this.dIn(rec)), this.D2.forward(this.dIn(fake.detach()))));
    let g = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      if (k > 0) fake = this.G.forward(this.noise(n));
      g = this.minimize(this.optG, nonSaturatingLoss(this.D2.forward(this.dIn(fake))));
    }
    return { d1, d2, manifold: gm, g, rec: dist.item() };
  }

  critic(x: Tensor): Tensor {
    return this.D2.forward(x).sigmoid();
  }
}

export const mdgan = defineMethod({
  id: 'mdgan',
  title: 'MDGAN (manifold + diffusion)',
  source: 'Che et al. 2017, appendix A (manifold step with D1 and an encoder, diffusion step with D2)',
  options: z.object({ lambda: z.number().min(0).max(1e3).default(0.2) }).strict(),
  create: (p, family, o) => new MDGAN(p, family, o),
});
