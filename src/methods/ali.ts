// ALI / BiGAN (Dumoulin et al. 2017; Donahue et al. 2017): an encoder E maps data to latents and D
// tells (x, E(x)) from (G(z), z); G and E play the non-saturating game with flipped labels.
import { z } from 'zod';
import { mlp, type Module } from '../nn/index.js';
import { Method, defineMethod, ganDiscriminatorLoss, type Losses, type Protocol, type StepContext } from './base.js';

export class ALI extends Method {
  readonly E: Module;
  readonly D: Module;
  readonly optD;
  readonly optGE;
  constructor(p: Protocol, dim: number) {
    super(p, dim);
    this.E = this.network('E', mlp(dim, p.hidden, p.latentDim));
    this.D = this.network('D', mlp(dim + p.latentDim, p.hidden, 1));
    this.optD = this.optimizer('D', this.adam(this.D));
    this.optGE = this.optimizer('G', this.adam(this.G, this.E));
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    const zp = this.noise(x.shape[0]);
    const encoded = this.pair(this.dIn(x), this.E.forward(x));
    const generated = this.pair(this.dIn(this.G.forward(zp)), zp);
    // D: (x, E(x)) is "data", (G(z), z) is "generated".
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.forward(encoded.detach()), this.D.forward(generated.detach())));
    // G and E: the same pairs with the labels flipped.
    const g = this.minimize(this.optGE, ganDiscriminatorLoss(this.D.forward(generated), this.D.forward(encoded)));
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
  create: (p, dim) => new ALI(p, dim),
});
