// VEEGAN (Srivastava et al. 2017): a reconstructor F maps data to latents; D on (z, x) pairs
// estimates the density ratio log q(x|z)p0(z) / p(z|x)p(x); G and F minimise
// Ô = (1/N)Σ D(zᵢ, G(zᵢ)) + (1/N)Σ ‖zᵢ − F(G(zᵢ))‖²₂, and D minimises O_LR (poster, "Solution").
import { z } from 'zod';
import { mlp, type Module } from '../nn/index.js';
import { Method, defineMethod, ganDiscriminatorLoss, type Losses, type Protocol, type StepContext } from './base.js';

export class VEEGAN extends Method {
  readonly F: Module;
  readonly D: Module;
  readonly optD;
  constructor(
    p: Protocol,
    dim: number,
    readonly o: { reconstructionWeight: number },
  ) {
    super(p, dim);
    this.F = this.network('F', mlp(dim, p.hidden, p.latentDim));
    // VEEGAN's code: a single hidden layer for the joint discriminator.
    this.D = this.network('D', mlp(p.latentDim + dim, [p.hidden[0]], 1));
    this.optD = this.optimizer('D', this.adam(this.D));
    this.optimizer('G', this.adam(this.G, this.F));
  }
  protected update({ real }: StepContext): Losses {
    const x = real();
    const zp = this.noise(x.shape[0]);
    const xg = this.G.forward(zp);
    const generated = this.pair(zp, this.dIn(xg)); // q_γ(x|z) p0(z)
    const reconstructed = this.pair(this.F.forward(x), this.dIn(x)); // p_θ(z|x) p(x)
    // O_LR = −E_γ[log σ(D(z, x))] − E_θ[log(1 − σ(D(z, x)))]
    const d = this.minimize(this.optD, ganDiscriminatorLoss(this.D.forward(generated.detach()), this.D.forward(reconstructed.detach())));
    // Ô: the KL estimate on generated pairs plus d(z, F(G(z))) = ‖z − F(G(z))‖²₂. F also meets the
    // real-data side of the KL (−D(F(x), x)): "training the reconstructor on the true data within the KL term".
    const kl = this.D.forward(generated).mean().sub(this.D.forward(reconstructed).mean());
    const rec = zp.sub(this.F.forward(xg)).square().sum(1).mean();
    const g = this.minimize(this.optG, kl.add(rec.mul(this.o.reconstructionWeight)));
    return { d, g, rec: rec.item() };
  }
  critic(): null {
    return null;
  }
}

export const veegan = defineMethod({
  id: 'veegan',
  title: 'VEEGAN',
  source: 'Srivastava et al. 2017 (reconstructor F, D on (z, x), ℓ2 in latent space)',
  options: z.object({ reconstructionWeight: z.number().min(0).default(1) }).strict(),
  create: (p, dim, o) => new VEEGAN(p, dim, o),
});
