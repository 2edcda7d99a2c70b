// The original GAN (Goodfellow et al. 2014, Algorithm 1), minimax form: G descends
// log(1 − D(G(z))), whose gradient vanishes when D rejects the samples confidently.
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import { F, type Tensor } from '../torch/index.js';
import { Method, defineMethod, ganDiscriminatorLoss, type Losses, type Protocol, type StepContext } from './base.js';

export class GAN extends Method {
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
    // D ascends log D(x) + log(1 − D(G(z))).
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.forward(this.dIn(x)), this.D.forward(this.dIn(fake.detach()))));
    const g = this.minimize(this.optG, this.generatorLoss(this.D.forward(this.dIn(fake))));
    return { d, g };
  }

  /** Minimax: G descends log(1 − D(G(z))) = −softplus(l). */
  protected generatorLoss(fakeLogits: Tensor): Tensor {
    return F.softplus(fakeLogits).mean().neg();
  }

  critic(x: Tensor): Tensor {
    return this.D.forward(x).sigmoid();
  }
}

export const gan = defineMethod({
  id: 'gan',
  title: 'GAN (minimax)',
  source: 'Goodfellow et al. 2014, Algorithm 1 (G minimises log(1 − D(G(z))))',
  options: z.object({}).strict(),
  create: (p, dim) => new GAN(p, dim),
});
