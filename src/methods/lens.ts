// Tempered Adversarial Networks (Sajjadi et al. 2018, papers/002): a lens L between the real data
// and the discriminator. D sees L(x) instead of x; L is trained, once per iteration after D's update,
// to make D's job harder while staying close to the identity:
//
//   L minimises  λ_t · L_adv + ‖x − L(x)‖²      L_adv = −L_D, the wrapped objective's discriminator
//                                              loss on (L(x), G(z)) (so L pushes the real data towards
//                                              what D calls fake); ‖·‖² summed over a sample's
//                                              elements, averaged over the batch
//   λ_t = 1 − sin(tπ / 2K) for t ≤ K, then 0     (the paper's schedule, appendix A.3)
//
// A wrapper, not a copy: `lens-gan`, `lens-nsgan`, `lens-lsgan`, `lens-wgan-gp` are those
// objectives' own methods (options included) with a lens attached; `gantry train --lens` picks them.
// K defaults to the paper's 10^5 (A.3; two figure captions say 10k). At a shortened budget the lens
// would never anneal (λ is still 0.92 at 5k steps of 10^5), so when the run has fewer than 2K steps
// and K was not given, K = steps / 2 and config.json records it (docs/PROTOCOLS.md).
// The lens (src/nets/lens.ts) starts as the identity and its weights come from a private random
// stream, so G and D start, and draw their noise, exactly as without the lens (the paper compares
// with and without the lens from identical initial weights).
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import { noGrad, withForkedStream, type Tensor } from '../torch/index.js';
import { AdversarialMethod, type CriticStep, type CriticWrapper } from './adversarial.js';
import { defineMethod, type MethodSpec } from './base.js';

/** The lens L and its adversarial weight's schedule, wrapped around any adversarial objective. */
export class Lens implements CriticWrapper {
  readonly networks: Record<string, Module>;
  constructor(
    readonly net: Module,
    readonly K: number,
  ) {
    this.networks = { L: net };
  }
  /** The adversarial weight at step t (0-based); K = 0 switches the adversarial term off. */
  lambda(t: number): number {
    if (this.K <= 0 || t > this.K) return 0;
    return 1 - Math.sin((t * Math.PI) / (2 * this.K));
  }
  real(x: Tensor): Tensor {
    return this.net.forward(x);
  }
  /** λ·(−L_D(L(x), fake)) + ‖x − L(x)‖² (per sample, summed over its elements), one step of L's optimizer. */
  afterCritic({ method, x, fakeIn, iteration, losses }: CriticStep): void {
    const lambda = this.lambda(iteration);
    const lensed = this.net.forward(x);
    const adv = method.discriminatorLoss(lensed, fakeIn).neg();
    const rec = x.sub(lensed).square().flatten(1).sum(1).mean();
    method.minimizeWith('L', adv.mul(lambda).add(rec));
    losses.lambda = lambda;
    losses.lens_rec = rec.item();
  }
  views(x: Tensor): Record<string, Tensor> {
    return { lensed: noGrad(() => this.net.forward(x)) };
  }
}

export const LENS_K = 100_000;

/** The objectives a lens wraps. */
export const LENS_BASES = ['gan', 'nsgan', 'lsgan', 'wgan-gp'] as const;

export function lensMethod(base: MethodSpec): MethodSpec {
  return defineMethod({
    id: `lens-${base.id}`,
    title: `${base.title} + lens`,
    source: `Sajjadi et al. 2018, Tempered Adversarial Networks (lens λ·(−L_D) + ‖x − L(x)‖², λ = 1 − sin(tπ/2K)) over ${base.title}`,
    options: base.options
      .extend({
        K: z.number().int().min(0).max(1e9).optional(),
        // The paper's lens is 32 wide with 8 residual blocks (images); a smaller one fits a CPU budget.
        lensWidth: z.number().int().min(1).max(1024).optional(),
        lensBlocks: z.number().int().min(0).max(64).optional(),
      })
      .strict(),
    protocolOverrides: base.protocolOverrides,
    protocolOptions: base.protocolOptions,
    resolveOptions: (o, { steps }) => ({ ...o, K: o.K ?? (steps >= 2 * LENS_K ? LENS_K : Math.floor(steps / 2)) }),
    create: (p, family, o) => {
      const { K, lensWidth, lensBlocks, ...rest } = o as { K?: number; lensWidth?: number; lensBlocks?: number };
      const m = base.create(p, family, rest);
      if (!(m instanceof AdversarialMethod)) throw new Error(`the lens wraps adversarial objectives; ${base.id} is not one`);
      const lens = withForkedStream(0x1e45, () => family.lens({ width: lensWidth, blocks: lensBlocks }));
      return m.wrap(new Lens(lens, K ?? LENS_K));
    },
  });
}
