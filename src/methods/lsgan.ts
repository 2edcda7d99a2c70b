// LSGAN (Mao et al. 2017, Eq. 2 with a = 0, b = c = 1): least-squares losses on D's raw output.
import { z } from 'zod';
import { AdversarialMethod, type Objective } from './adversarial.js';
import { defineMethod } from './base.js';

/** min_D ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²];  min_G ½E[(D(G(z)) − c)²] */
export const leastSquaresObjective: Objective = {
  d: (real, fake) => real.sub(1).square().mean().add(fake.square().mean()).mul(0.5),
  g: (fake) => fake.sub(1).square().mean().mul(0.5),
  nCritic: 1,
  score: (out) => out,
};

export const lsgan = defineMethod({
  id: 'lsgan',
  title: 'LSGAN',
  source: 'Mao et al. 2017, Eq. 2 (a = 0, b = c = 1)',
  options: z.object({}).strict(),
  create: (p, family) => new AdversarialMethod(p, family, leastSquaresObjective),
});
