// BEGAN (Berthelot et al. 2017, Eq. 4): autoencoder D with L(v) = |v − D(v)| (L1);
// L_D = L(x) − k_t·L(G(z)), L_G = L(G(z)), k_{t+1} = clip(k_t + λ_k(γL(x) − L(G(z))), 0, 1).
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import { sampleSize } from '../data/shape.js';
import type { Family } from '../nets/index.js';
import type { Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';

export interface BEGANOptions {
  gamma: number;
  lambdaK: number;
  code: number;
}

export class BEGAN extends Method {
  readonly D: Module;
  readonly optD;
  /** The equilibrium control variable k_t (restored from checkpoints through `state`). */
  k = 0;
  constructor(
    p: Protocol,
    family: Family,
    readonly o: BEGANOptions,
  ) {
    super(p, family);
    // The bottleneck is capped at the data dimension: a wider code lets the autoencoder
    // reconstruct everything, and D stops telling data from samples (seen on the 2D sets).
    this.D = this.network('D', family.autoencoder(Math.min(o.code, sampleSize(family.shape))));
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D));
  }
  private L(v: Tensor): Tensor {
    return this.D.forward(v).sub(v).abs().mean();
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    let fake = this.G.forward(this.noise(x.shape[0]));
    const lReal = this.L(this.dIn(x));
    const lFake = this.L(this.dIn(fake.detach()));
    const d = this.minimize(this.optD, lReal.sub(lFake.mul(this.k)));
    let g = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      if (k > 0) fake = this.G.forward(this.noise(x.shape[0]));
      g = this.minimize(this.optG, this.L(this.dIn(fake)));
    }
    const [lr, lf] = [lReal.item(), lFake.item()];
    this.k = Math.min(1, Math.max(0, this.k + this.o.lambdaK * (this.o.gamma * lr - lf)));
    // Convergence measure M_global = L(x) + |γL(x) − L(G(z))|
    return { d, g, k: this.k, m: lr + Math.abs(this.o.gamma * lr - lf) };
  }
  critic(x: Tensor): Tensor {
    return this.D.forward(x).sub(x).abs().flatten(1).mean(1, true).neg();
  }
  override get state(): Record<string, number> {
    return { k: this.k };
  }
  override set state(s: Record<string, number>) {
    this.k = s.k ?? 0;
  }
}

export const began = defineMethod({
  id: 'began',
  title: 'BEGAN',
  source: 'Berthelot et al. 2017, Eq. 4 (γ = 0.5, λ_k = 0.001, k₀ = 0)',
  options: z
    .object({
      gamma: z.number().positive().max(10).default(0.5),
      lambdaK: z.number().positive().max(1).default(0.001),
      /** Autoencoder bottleneck width, capped at the data dimension. */
      code: z.number().int().positive().max(4096).default(16),
    })
    .strict(),
  create: (p, family, o) => new BEGAN(p, family, o),
});
