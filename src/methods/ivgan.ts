// Intervention GAN (Liang et al., papers/004, with the choices of the authors' public code, as
// docs/PROTOCOLS.md pins them; papers/004 ends before its equations, so each is written here).
//
// An encoder E maps a real x to a latent code of G's size, split into k blocks (z = 256: 4 blocks of
// 64; uneven sizes when k does not divide the latent size). An intervention on block i replaces that
// block with fresh noise from G's prior (Gaussian-preserving: the code keeps the prior's law when E
// matches it), and x_i = G(code with block i intervened). A classifier C shares D's body (one set of
// parameters, a second linear head) and predicts i from x_i; its k-way cross-entropy is the
// multi-distribution JS divergence among the k intervened distributions (weights π_i = 1/k).
//
//   D, C   descend  −log D(x) − log(1 − D(G(z)))  +  γ·CE(C(x_i), i)
//   G, E   descend  −log D(G(z))  −  γ·CE(C(x_i), i)  +  η·‖x − G(E(x))‖₁ (mean absolute error)
//
// Defaults from the code: γ = 0.5, η = 0.25, k = 4. Each real sample of the batch gets one
// intervention, block index j mod k, so the k distributions appear in equal shares at the cost of
// one extra generator pass (the code intervenes per block; in expectation the loss is the same).
// G's BatchNorm keeps separate statistics for noise batches and encoder codes, as Mode-regularized
// GANs do (without it the running statistics G samples with mix both, and samples collapse).
import { z } from 'zod';
import { Linear, type Module, type Sequential } from '../nn/index.js';
import type { Family } from '../nets/index.js';
import { F, cat, keep, tensor, type Tensor } from '../torch/index.js';
import { Method, defineMethod, type Losses, type Protocol, type StepContext } from './base.js';
import { ganDiscriminatorLoss, nonSaturatingLoss } from './gan.js';

export interface IvganOptions {
  blocks: number;
  gamma: number;
  eta: number;
}

/** Sizes of k blocks covering `latent` numbers, as even as possible. */
export function blockSizes(latent: number, k: number): number[] {
  if (k < 2 || k > latent) throw new Error(`ivgan: needs 2 to ${latent} blocks (the latent size), got ${k}; a latent of 1 cannot be intervened on`);
  return Array.from({ length: k }, (_, i) => Math.floor(latent / k) + (i < latent % k ? 1 : 0));
}

export class IVGAN extends Method {
  readonly D: Sequential;
  readonly C: Linear;
  readonly E: Module;
  readonly optD;
  private readonly sizes: number[];
  /** Intervention masks and labels by batch size (they depend on nothing else). */
  private readonly masks = new Map<number, { mask: Tensor; labels: Tensor }>();
  constructor(
    p: Protocol,
    family: Family,
    readonly o: IvganOptions,
  ) {
    super(p, family, { bnStreams: 2 });
    // 2D toys have a latent of 2: as many blocks as the latent allows.
    this.sizes = blockSizes(p.latentDim, Math.min(o.blocks, p.latentDim));
    this.D = this.network('D', family.discriminator()) as Sequential;
    const head = this.D.layers?.at(-1);
    if (!(head instanceof Linear)) throw new Error('ivgan needs a discriminator whose last layer is linear (its body is shared with the intervention classifier)');
    this.C = this.network('C', new Linear(head.inFeatures, this.sizes.length));
    this.E = this.network('E', family.encoder(p.latentDim));
    this.optD = this.optimizer('D', this.optimizerFor('D', this.D, this.C));
    this.optimizer('G', this.optimizerFor('G', this.G, this.E));
  }

  private body(x: Tensor): Tensor {
    return this.D.forwardBody(x);
  }
  private realness(h: Tensor): Tensor {
    return this.D.layers[this.D.layers.length - 1].forward(h);
  }

  /** E(x) with block (j mod k) of sample j replaced by prior noise; the block indices as labels. */
  private intervene(code: Tensor): { code: Tensor; labels: Tensor } {
    const n = code.shape[0];
    const k = this.sizes.length;
    let m = this.masks.get(n);
    if (!m) {
      // mask[j, c] = 1 where coordinate c belongs to sample j's intervened block.
      const owner = this.sizes.flatMap((s, b) => new Array(s).fill(b));
      m = {
        mask: keep(tensor(Array.from({ length: n }, (_, j) => owner.map((b) => (b === j % k ? 1 : 0))))),
        labels: keep(tensor(Array.from({ length: n }, (_, j) => j % k)).to('int64')),
      };
      this.masks.set(n, m);
    }
    const fresh = this.noise(n);
    return { code: code.mul(m.mask.neg().add(1)).add(fresh.mul(m.mask)), labels: m.labels };
  }

  protected update({ real }: StepContext): Losses {
    const n = this.protocol.batchSize;
    const x = real(n);
    let fake = this.G.forward(this.noise(n));
    const code = this.E.forward(x);
    const iv = this.intervene(code);
    let xi = this.generateFromCode(iv.code);
    // D and C: one pass of the shared body over real, generated and intervened images.
    const h = this.body(cat([this.dIn(x), this.dIn(fake.detach()), this.dIn(xi.detach())], 0));
    const out = this.realness(h.narrow(0, 0, 2 * n));
    const ceD = F.crossEntropy(this.C.forward(h.narrow(0, 2 * n, n)), iv.labels);
    const d = this.minimize(this.optD, ganDiscriminatorLoss(out.narrow(0, 0, n), out.narrow(0, n, n)).add(ceD.mul(this.o.gamma)));
    let g = 0;
    let ce = 0;
    let rec = 0;
    for (let k = 0; k < this.protocol.gSteps; k++) {
      let recon: Tensor;
      let labels = iv.labels;
      if (k > 0) {
        fake = this.G.forward(this.noise(n));
        const again = this.intervene(this.E.forward(x));
        xi = this.generateFromCode(again.code);
        labels = again.labels;
        recon = this.generateFromCode(this.E.forward(x));
      } else recon = this.generateFromCode(code);
      const hg = this.body(cat([this.dIn(fake), this.dIn(xi)], 0));
      const adv = nonSaturatingLoss(this.realness(hg.narrow(0, 0, n)));
      const ceG = F.crossEntropy(this.C.forward(hg.narrow(0, n, n)), labels);
      const l1 = x.sub(recon).abs().mean();
      g = this.minimize(this.optG, adv.sub(ceG.mul(this.o.gamma)).add(l1.mul(this.o.eta)));
      ce = ceG.item();
      rec = l1.item();
    }
    return { d, g, ce, rec };
  }

  critic(x: Tensor): Tensor {
    return this.D.forward(x).sigmoid();
  }
}

export const ivgan = defineMethod({
  id: 'ivgan',
  title: 'IVGAN (intervention GAN)',
  source: 'Liang et al. (encoder, Gaussian-preserving block interventions, an intervention classifier sharing D\u2019s body, ℓ1 reconstruction)',
  options: z
    .object({
      blocks: z.number().int().min(2).max(1024).default(4),
      gamma: z.number().min(0).max(1e3).default(0.5),
      eta: z.number().min(0).max(1e3).default(0.25),
    })
    .strict(),
  create: (p, family, o) => new IVGAN(p, family, o),
});
