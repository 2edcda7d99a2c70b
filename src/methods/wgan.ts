// WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1): n_critic critic steps on
// E[f(fake)] − E[f(real)] with RMSprop, each followed by clipping to [−c, c]; then one G step.
import { z } from 'zod';
import { clipWeights, type Module, type RMSprop } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';

export interface WGANOptions {
  nCritic: number;
  clip: number;
  lr: number;
}

export class WGAN extends Method {
  readonly D: Module;
  readonly optD: RMSprop;
  constructor(
    p: Protocol,
    dim: number,
    readonly o: WGANOptions,
  ) {
    super(p, dim);
    this.D = this.mlpDiscriminator();
    this.optD = this.optimizer('D', this.rmsprop(o.lr, this.D));
    this.optimizer('G', this.rmsprop(o.lr, this.G));
  }
  protected update({ real }: StepContext): Losses {
    let d = 0;
    for (let i = 0; i < this.o.nCritic; i++) {
      const x = real();
      const fake = this.G.forward(this.noise(x.shape[0])).detach();
      d = this.minimize(this.optD, this.D.forward(this.dIn(fake)).mean().sub(this.D.forward(this.dIn(x)).mean()));
      clipWeights(this.D.parameters(), this.o.clip);
    }
    const fake = this.G.forward(this.noise(this.protocol.batchSize));
    const g = this.minimize(this.optG, this.D.forward(this.dIn(fake)).mean().neg());
    return { d, g };
  }
  critic(x: Tensor): Tensor {
    return this.D.forward(x);
  }
}

export const wgan = defineMethod({
  id: 'wgan',
  title: 'WGAN (weight clipping)',
  source: 'Arjovsky et al. 2017, Algorithm 1 (RMSprop 5e-5, c = 0.01, n_critic = 5)',
  options: z
    .object({
      nCritic: z.number().int().positive().default(5),
      clip: z.number().positive().default(0.01),
      lr: z.number().positive().default(5e-5),
    })
    .strict(),
  create: (p, dim, o) => new WGAN(p, dim, o),
});
