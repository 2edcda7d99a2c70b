// LSGAN (Mao et al. 2017, Eq. 2 with a = 0, b = c = 1): least-squares losses on D's raw output.
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';

export class LSGAN extends Method {
  readonly D: Module;
  readonly optD;
  constructor(p: Protocol, dim: number) {
    super(p, dim);
    this.D = this.mlpDiscriminator();
    this.optD = this.optimizer('D', this.adam(this.D));
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    const fake = this.G.forward(this.noise(x.shape[0]));
    // min_D ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²];  min_G ½E[(D(G(z)) − c)²]
    const lossD = this.D.forward(this.dIn(x)).sub(1).square().mean().add(this.D.forward(this.dIn(fake.detach())).square().mean()).mul(0.5);
    const d = this.minimize(this.optD, lossD);
    const g = this.minimize(this.optG, this.D.forward(this.dIn(fake)).sub(1).square().mean().mul(0.5));
    return { d, g };
  }
  critic(x: Tensor): Tensor {
    return this.D.forward(x);
  }
}

export const lsgan = defineMethod({
  id: 'lsgan',
  title: 'LSGAN',
  source: 'Mao et al. 2017, Eq. 2 (a = 0, b = c = 1)',
  options: z.object({}).strict(),
  create: (p, dim) => new LSGAN(p, dim),
});
