// PacGAN (Lin et al. 2018, §3): the discriminator judges packs of m samples, all real or all
// generated, concatenated along the features of points or the channels of images; losses are the
// non-saturating GAN's.
import { z } from 'zod';
import { AdversarialMethod } from './adversarial.js';
import { defineMethod } from './base.js';
import { nonSaturatingObjective } from './nsgan.js';

export const pacgan = defineMethod({
  id: 'pacgan',
  title: 'PacGAN',
  source: 'Lin et al. 2018, §3 (packing m = 2 here; the paper uses 2–4)',
  options: z.object({ packing: z.number().int().min(1).max(64).default(2) }).strict(),
  create: (p, family, o) => new AdversarialMethod(p, family, nonSaturatingObjective, o.packing),
});
