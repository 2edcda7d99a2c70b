// PacGAN (Lin et al. 2018, §3): the discriminator judges packs of m samples concatenated along
// the feature axis, all real or all generated; losses are the non-saturating GAN's.
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';
import { Method, defineMethod, ganDiscriminatorLoss, nonSaturatingLoss, type Losses, type Protocol, type StepContext } from './base.js';

export class PacGAN extends Method {
  readonly D: Module;
  readonly optD;
  constructor(
    p: Protocol,
    dim: number,
    readonly o: { packing: number },
  ) {
    super(p, dim);
    this.D = this.mlpDiscriminator(dim * o.packing);
    this.optD = this.optimizer('D', this.adam(this.D));
  }
  /** [m·n, dim] → [n, m·dim]: consecutive samples form one pack. */
  private pack(x: Tensor): Tensor {
    return x.reshape(-1, this.dim * this.o.packing);
  }
  protected update({ real }: StepContext): Losses {
    const n = this.protocol.batchSize * this.o.packing;
    const x = this.pack(this.dIn(real(n)));
    const fake = this.G.forward(this.noise(n));
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.forward(x), this.D.forward(this.pack(this.dIn(fake.detach())))));
    const g = this.minimize(this.optG, nonSaturatingLoss(this.D.forward(this.pack(this.dIn(fake)))));
    return { d, g };
  }
  /** A pack of m copies of x: how real D finds a point on its own. */
  critic(x: Tensor): Tensor {
    return this.D.forward(x.repeat(1, this.o.packing)).sigmoid();
  }
}

export const pacgan = defineMethod({
  id: 'pacgan',
  title: 'PacGAN',
  source: 'Lin et al. 2018, §3 (packing m = 2 here; the paper uses 2–4)',
  options: z.object({ packing: z.number().int().min(1).default(2) }).strict(),
  create: (p, dim, o) => new PacGAN(p, dim, o),
});
