// Unrolled GAN (Metz et al. 2017, Eq. 7–11): the generator's loss is taken against the
// discriminator after k further Adam updates, and differentiates through those updates
// (double backprop), not the detached approximation. Defaults: k = 5 (their notebook).
import { z } from 'zod';
import { adamUpdate, type Adam, type Module } from '../nn/index.js';
import type { Family } from '../nets/index.js';
import { grad, type Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';
import { ganDiscriminatorLoss, nonSaturatingLoss } from './gan.js';

export interface UnrolledOptions {
  unrollSteps: number;
}

export class UnrolledGAN extends Method {
  readonly D: Module;
  readonly optD: Adam;
  constructor(
    p: Protocol,
    family: Family,
    readonly o: UnrolledOptions,
  ) {
    super(p, family);
    this.D = this.network('D', family.discriminator());
    this.optD = this.optimizer('D', this.adam('D', this.D));
  }

  private discriminatorLoss(x: Tensor, fake: Tensor): Tensor {
    return ganDiscriminatorLoss(this.D.forward(this.dIn(x)), this.D.forward(this.dIn(fake)));
  }

  protected update({ real }: StepContext): Losses {
    const x = real();
    let z0 = this.noise(x.shape[0]);
    const d = this.minimize(this.optD, this.discriminatorLoss(x, this.G.forward(z0).detach()));
    let g = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      if (k > 0) z0 = this.noise(x.shape[0]);
      g = this.generatorStep(x, z0);
    }
    return { d, g };
  }

  /** θ_0 = current D weights; θ_{k+1} = θ_k − Adam step on f(θ_k, G), kept in the graph (Eq. 9). */
  private generatorStep(x: Tensor, z0: Tensor): number {
    const names = this.D.namedParameters().map(([n]) => n);
    let theta = this.D.parameters().map((p) => p.detach().requiresGrad_(true));
    let moments = this.optD.moments();
    const fake = this.G.forward(z0);
    const at = <R>(params: Tensor[], fn: () => R) => this.D.withParameters(Object.fromEntries(names.map((n, i) => [n, params[i]])), fn);
    for (let k = 0; k < this.o.unrollSteps; k++) {
      const grads = grad(at(theta, () => this.discriminatorLoss(x, fake)), theta, { createGraph: true });
      ({ params: theta, moments } = adamUpdate(theta, grads.map((g) => g!), moments, this.optD));
    }
    // G's non-saturating loss against the unrolled discriminator f(θ_K, G).
    return this.minimize(this.optG, at(theta, () => nonSaturatingLoss(this.D.forward(this.dIn(fake)))));
  }

  critic(x: Tensor): Tensor {
    return this.D.forward(x).sigmoid();
  }
}

export const unrolled = defineMethod({
  id: 'unrolled',
  title: 'Unrolled GAN',
  source: 'Metz et al. 2017, Eq. 7–11 (k = 5 Adam steps unrolled; gradients flow through the updates)',
  options: z.object({ unrollSteps: z.number().int().min(0).max(100).default(5) }).strict(),
  create: (p, family, o) => new UnrolledGAN(p, family, o),
});
