// WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1): n_critic critic steps on
// E[f(fake)] − E[f(real)] with RMSprop, each followed by clipping to [−c, c]; then one G step.
import { z } from 'zod';
import { clipWeights } from '../nn/index.js';
import { AdversarialMethod, type Objective } from './adversarial.js';
import { defineMethod } from './base.js';

export interface WGANOptions {
  nCritic: number;
  clip: number;
  lr: number;
}

/** The critic's Wasserstein loss E[f(fake)] − E[f(real)]; G descends −E[f(G(z))]. */
export const wassersteinLosses: Pick<Objective, 'd' | 'g' | 'score'> = {
  d: (real, fake) => fake.mean().sub(real.mean()),
  g: (fake) => fake.mean().neg(),
  score: (out) => out,
};

export const wgan = defineMethod({
  id: 'wgan',
  title: 'WGAN (weight clipping)',
  source: 'Arjovsky et al. 2017, Algorithm 1 (RMSprop 5e-5, c = 0.01, n_critic = 5)',
  options: z
    .object({
      nCritic: z.number().int().positive().max(100).default(5),
      clip: z.number().positive().max(100).default(0.01),
      /** RMSprop's learning rate: the protocol's lr under the method's name (default 5e-5, below). */
      lr: z.number().positive().max(10).optional(),
    })
    .strict(),
  // The paper's RMSprop 5e-5 for both networks, unless --lr (or --lr-g/--lr-d, or --opt lr=…) says otherwise.
  protocolOverrides: { optimizer: 'rmsprop', lr: 5e-5 },
  protocolOptions: ['lr'],
  create: (p, family, o) =>
    new AdversarialMethod(p, family, {
      ...wassersteinLosses,
      nCritic: o.nCritic,
      constrain: (D) => clipWeights(D.parameters(), o.clip),
    }),
});
