// Non-saturating GAN (Goodfellow et al. 2014, §3): G maximises log D(G(z)) instead, which has
// strong gradients early in training. Identical to the minimax GAN otherwise.
import { z } from 'zod';
import type { Tensor } from '../torch/index.js';
import { defineMethod, nonSaturatingLoss } from './base.js';
import { GAN } from './gan.js';

export class NSGAN extends GAN {
  /** −log D(G(z)) = softplus(−l). */
  protected override generatorLoss(fakeLogits: Tensor): Tensor {
    return nonSaturatingLoss(fakeLogits);
  }
}

export const nsgan = defineMethod({
  id: 'nsgan',
  title: 'GAN (non-saturating)',
  source: 'Goodfellow et al. 2014, §3 (G maximises log D(G(z)))',
  options: z.object({}).strict(),
  create: (p, dim) => new NSGAN(p, dim),
});
