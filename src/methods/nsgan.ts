// Non-saturating GAN (Goodfellow et al. 2014, §3): G maximises log D(G(z)) instead, which has
// strong gradients early in training. Identical to the minimax GAN otherwise.
import { z } from 'zod';
import { AdversarialMethod, type Objective } from './adversarial.js';
import { defineMethod } from './base.js';
import { minimaxObjective, nonSaturatingLoss } from './gan.js';

/** G descends −log D(G(z)) = softplus(−l). */
export const nonSaturatingObjective: Objective = { ...minimaxObjective, g: nonSaturatingLoss };

export const nsgan = defineMethod({
  id: 'nsgan',
  title: 'GAN (non-saturating)',
  source: 'Goodfellow et al. 2014, §3 (G maximises log D(G(z)))',
  options: z.object({}).strict(),
  create: (p, family) => new AdversarialMethod(p, family, nonSaturatingObjective),
});
