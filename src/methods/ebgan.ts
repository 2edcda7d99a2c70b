// EBGAN (Zhao et al. 2017, Eq. 1–2): D is an autoencoder whose reconstruction error is the energy;
// L_D = D(x) + [m − D(G(z))]⁺, L_G = D(G(z)) (+ the optional pull-away term, Eq. 6).
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Family } from '../nets/index.js';
import { type Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';

export interface EBGANOptions {
  margin: number;
  pullAway: number;
  code: number;
}

/** Per-sample energy: mean squared reconstruction error over every dimension of a sample. */
export function autoencoderEnergy(ae: Module, x: Tensor): Tensor {
  return ae.forward(x).sub(x).square().flatten(1).mean(1);
}

export class EBGAN extends Method {
  readonly D: Module;
  readonly optD;
  constructor(
    p: Protocol,
    family: Family,
    readonly o: EBGANOptions,
  ) {
    super(p, family);
    this.D = this.network('D', family.autoencoder(o.code));
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D));
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    let fake = this.G.forward(this.noise(x.shape[0]));
    const eReal = autoencoderEnergy(this.D, this.dIn(x));
    const eFake = autoencoderEnergy(this.D, this.dIn(fake.detach()));
    const d = this.minimize(this.optD, eReal.mean().add(eFake.rsub(this.o.margin).relu().mean()));
    let g = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      if (k > 0) fake = this.G.forward(this.noise(x.shape[0]));
      let lossG = autoencoderEnergy(this.D, this.dIn(fake)).mean();
      if (this.o.pullAway > 0) lossG = lossG.add(pullAway(fake).mul(this.o.pullAway));
      g = this.minimize(this.optG, lossG);
    }
    return { d, g };
  }
  /** Low energy means "real": the heat map shows −energy. */
  critic(x: Tensor): Tensor {
    return autoencoderEnergy(this.D, x).neg().view(-1, 1);
  }
}

/** Pull-away term (Eq. 6): mean squared cosine similarity between distinct samples of a batch. */
export function pullAway(samples: Tensor): Tensor {
  const s = samples.flatten(1);
  const n = s.shape[0];
  const unit = s.div(s.norm(2, 1, true).add(1e-8));
  const cos2 = unit.matmul(unit.T).square();
  return cos2.sum().sub(cos2.diag().sum()).div(n * (n - 1));
}

export const ebgan = defineMethod({
  id: 'ebgan',
  title: 'EBGAN',
  source: 'Zhao et al. 2017, Eq. 1–2 and 6 (margin and pull-away weight chosen here for 2D toys)',
  options: z
    .object({
      margin: z.number().positive().max(1e6).default(1),
      pullAway: z.number().min(0).max(1e3).default(0),
      /** Autoencoder bottleneck width. */
      code: z.number().int().positive().max(4096).default(16),
    })
    .strict(),
  create: (p, family, o) => new EBGAN(p, family, o),
});
