// The original GAN (Goodfellow et al. 2014, Algorithm 1), minimax form: G descends
// log(1 − D(G(z))), whose gradient vanishes when D rejects the samples confidently.
import { z } from 'zod';
import { F, type Tensor } from '../torch/index.js';
import { AdversarialMethod, type Objective } from './adversarial.js';
import { defineMethod } from './base.js';

/**
 * The discriminator's loss of the original GAN on logits: −log σ(real) − log(1 − σ(fake)),
 * i.e. softplus(−real) + softplus(fake), averaged (Goodfellow et al. 2014, Algorithm 1).
 */
export function ganDiscriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
  return F.softplus(realLogits.neg()).mean().add(F.softplus(fakeLogits).mean());
}

/** The non-saturating generator loss on logits: −log σ(fake) = softplus(−fake), averaged. */
export function nonSaturatingLoss(fakeLogits: Tensor): Tensor {
  return F.softplus(fakeLogits.neg()).mean();
}

/** D ascends log D(x) + log(1 − D(G(z))); G descends log(1 − D(G(z))) = −softplus(l). */
export const minimaxObjective: Objective = {
  d: ganDiscriminatorLoss,
  g: (fake) => F.softplus(fake).mean().neg(),
  nCritic: 1,
  score: (out) => out.sigmoid(),
};

export const gan = defineMethod({
  id: 'gan',
  title: 'GAN (minimax)',
  source: 'Goodfellow et al. 2014, Algorithm 1 (G minimises log(1 − D(G(z))))',
  options: z.object({}).strict(),
  create: (p, family) => new AdversarialMethod(p, family, minimaxObjective),
});
