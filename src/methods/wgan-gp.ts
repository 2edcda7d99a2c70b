// WGAN-GP (Gulrajani et al. 2017, Algorithm 1): the critic loss plus λ(‖∇x̂ D(x̂)‖₂ − 1)² on random
// interpolates x̂ (double backprop), n_critic critic steps, Adam (1e-4, β = (0.5, 0.9)).
// The defaults are the authors' 2D toy settings (λ = 0.1). On the 1200-D mixture they find no mode;
// Algorithm 1's λ = 10 with the protocol's lr 1e-3 (`wgan-gp:lambda=10:lr=0.001`) captures all ten
// (docs/RESULTS.md, "Best configurations").
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import { grad, rand, type Tensor } from '../torch/index.js';
import { AdversarialMethod } from './adversarial.js';
import { defineMethod } from './base.js';
import { wassersteinLosses } from './wgan.js';

export interface WGANGPOptions {
  nCritic: number;
  lambda: number;
}

/**
 * λ · E[(‖∇x̂ D(x̂)‖₂ − 1)²] with x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] per sample; the norm runs over
 * every non-batch dimension (ε is [n, 1] for points, [n, 1, 1, 1] for images).
 */
export function gradientPenalty(D: Module, real: Tensor, fake: Tensor, lambda: number): Tensor {
  const eps = rand([real.shape[0], ...real.shape.slice(1).map(() => 1)]);
  const xhat = real.mul(eps).add(fake.mul(eps.rsub(1))).detach().requiresGrad_(true);
  const [g] = grad(D.forward(xhat).sum(), xhat, { createGraph: true });
  return g!.flatten(1).norm(2, 1).sub(1).square().mean().mul(lambda);
}

export const wganGp = defineMethod({
  id: 'wgan-gp',
  title: 'WGAN-GP',
  source: "Gulrajani et al. 2017, Algorithm 1; toy settings of the authors' code (λ = 0.1, Adam 1e-4, β = (0.5, 0.9), n_critic = 5)",
  options: z
    .object({
      nCritic: z.number().int().positive().max(100).default(5),
      lambda: z.number().min(0).max(1e4).default(0.1),
      // Adam's settings: the protocol's under the method's names (defaults 1e-4, 0.5, 0.9, below).
      lr: z.number().positive().max(10).optional(),
      beta1: z.number().min(0).max(1).optional(),
      beta2: z.number().min(0).max(1).optional(),
    })
    .strict(),
  // Adam 1e-4, β = (0.5, 0.9) for both networks, unless --lr/--beta1 (or --lr-g/--lr-d/--betas-g/
  // --betas-d, or --opt lr=…) say otherwise (precedence: buildRun, src/train/config.ts).
  protocolOverrides: { lr: 1e-4, beta1: 0.5, beta2: 0.9 },
  protocolOptions: ['lr', 'beta1', 'beta2'],
  create: (p, family, o: WGANGPOptions) =>
    new AdversarialMethod(p, family, {
      ...wassersteinLosses,
      nCritic: o.nCritic,
      penalty: (D, real, fake) => gradientPenalty(D, real, fake, o.lambda),
    }),
});
