// VEEGAN (Srivastava et al. 2017): a reconstructor F maps data to latents; D on (z, x) pairs
// estimates the density ratio log q(x|z)p0(z) / p(z|x)p(x); G and F minimise
// Ô = (1/N)Σ D(zᵢ, G(zᵢ)) + (1/N)Σ ‖zᵢ − F(G(zᵢ))‖²₂, and D minimises O_LR (poster, "Solution").
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Family, Joint } from '../nets/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';
import { ganDiscriminatorLoss } from './gan.js';

export class VEEGAN extends Method {
  readonly F: Module;
  readonly D: Joint;
  readonly optD;
  constructor(
    p: Protocol,
    family: Family,
    readonly o: { reconstructionWeight: number },
  ) {
    super(p, family);
    this.F = this.network('F', family.encoder(p.latentDim));
    // VEEGAN's code: a single hidden layer for the joint discriminator, fed (z, x).
    this.D = this.network('D', family.joint(p.latentDim, { zFirst: true, depth: 1 }));
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D));
    this.optimizer('G', this.optimizerFor('G', this.G, this.F));
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    let zp = this.noise(x.shape[0]);
    let xg = this.G.forward(zp);
    let xgIn = this.dIn(xg);
    const xIn = this.dIn(x);
    // O_LR = −E_γ[log σ(D(z, x))] − E_θ[log(1 − σ(D(z, x)))]: generated pairs q_γ(x|z) p0(z)
    // against reconstructed pairs p_θ(z|x) p(x).
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.score(xgIn.detach(), zp), this.D.score(xIn, this.F.forward(x).detach())));
    let g = 0;
    let rec = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      if (k > 0) {
        zp = this.noise(x.shape[0]);
        xg = this.G.forward(zp);
        xgIn = this.dIn(xg);
      }
      // Ô: the KL estimate on generated pairs plus d(z, F(G(z))) = ‖z − F(G(z))‖²₂. F also meets the
      // real-data side of the KL (−D(F(x), x)): "training the reconstructor on the true data within the KL term".
      const kl = this.D.score(xgIn, zp).mean().sub(this.D.score(xIn, this.F.forward(x)).mean());
      const r = zp.sub(this.F.forward(xg)).square().sum(1).mean();
      g = this.minimize(this.optG, kl.add(r.mul(this.o.reconstructionWeight)));
      rec = r.item();
    }
    return { d, g, rec };
  }
  critic(): null {
    return null;
  }
}

export const veegan = defineMethod({
  id: 'veegan',
  title: 'VEEGAN',
  source: 'Srivastava et al. 2017 (reconstructor F, D on (z, x), ℓ2 in latent space)',
  options: z.object({ reconstructionWeight: z.number().min(0).max(1e3).default(1) }).strict(),
  create: (p, family, o) => new VEEGAN(p, family, o),
});
