// ALI / BiGAN (Dumoulin et al. 2017; Donahue et al. 2017): an encoder E maps data to latents and D
// tells (x, E(x)) from (G(z), z); G and E play the non-saturating game with flipped labels.
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Family, Joint } from '../nets/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';
import { ganDiscriminatorLoss } from './gan.js';

export class ALI extends Method {
  readonly E: Module;
  readonly D: Joint;
  readonly optD;
  readonly optGE;
  constructor(p: Protocol, family: Family) {
    super(p, family);
    this.E = this.network('E', family.encoder(p.latentDim));
    this.D = this.network('D', family.joint(p.latentDim));
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D));
    this.optGE = this.optimizer('G', this.optimizerFor('G', this.G, this.E));
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    let zp = this.noise(x.shape[0]);
    const xIn = this.dIn(x);
    const ex = this.E.forward(x);
    let xg = this.dIn(this.G.forward(zp));
    // D: (x, E(x)) is "data", (G(z), z) is "generated".
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.score(xIn, ex.detach()), this.D.score(xg.detach(), zp)));
    // G and E: the same pairs with the labels flipped (further G updates draw fresh z).
    let g = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      if (k > 0) {
        zp = this.noise(x.shape[0]);
        xg = this.dIn(this.G.forward(zp));
      }
      g = this.minimize(this.optGE, ganDiscriminatorLoss(this.D.score(xg, zp), this.D.score(xIn, k > 0 ? this.E.forward(x) : ex)));
    }
    return { d, g };
  }
  critic(): null {
    return null;
  }
}

export const ali = defineMethod({
  id: 'ali',
  title: 'ALI / BiGAN',
  source: 'Dumoulin et al. 2017; Donahue et al. 2017 (joint discriminator on (x, z), non-saturating)',
  options: z.object({}).strict(),
  create: (p, family) => new ALI(p, family),
});
