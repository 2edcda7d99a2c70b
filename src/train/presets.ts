// Image protocols as presets (docs/PROTOCOLS.md, "Images"): each fills the networks, optimizers,
// batch, prior, budget and sample count of a published protocol; anything given explicitly wins.
import type { Protocol } from '../methods/index.js';

export interface Preset {
  description: string;
  protocol: Partial<Protocol>;
  /** The published budget in generator iterations. */
  steps: number;
  /** Samples counted at the end (and at every evaluation). */
  evalSamples: number;
  evalEvery: number;
  dataset?: { fixedTriples?: number; fixedSeed?: number; imageSize?: number };
}

const smallD = (nets: 'small-d-quarter' | 'small-d-half'): Partial<Protocol> => ({
  nets,
  latentDim: 256,
  prior: 'normal',
  batchSize: 128,
  lrD: 2e-4,
  lrG: 1e-4,
  betasD: [0.5, 0.99],
  betasG: [0.5, 0.99],
});

export const PRESETS: Record<string, Preset> = {
  'small-d-quarter': {
    description: 'Unrolled GAN / PacGAN Table 3, D = ¼G: z 256 ~ N(0, 1), batch 128, Adam D 2e-4 / G 1e-4, β (0.5, 0.99), 500k iterations, 25,600 samples',
    protocol: smallD('small-d-quarter'),
    steps: 500_000,
    evalSamples: 25_600,
    evalEvery: 25_000,
  },
  'small-d-half': {
    description: 'PacGAN Table 3, D = ½G: as small-d-quarter with D channels (4, 8, 16)',
    protocol: smallD('small-d-half'),
    steps: 500_000,
    evalSamples: 25_600,
    evalEvery: 25_000,
  },
  veegan: {
    description: 'VEEGAN Table 2 / PacGAN Table 2: DCGAN width 64, z 100 ~ U(−1, 1), Adam 2e-4 β1 0.5, batch 64, 2 G updates per D update, 100k iterations, 128,000 fixed triples, 26,000 samples',
    protocol: { nets: 'veegan', latentDim: 100, prior: 'uniform', batchSize: 64, lr: 2e-4, beta1: 0.5, gSteps: 2 },
    steps: 100_000,
    evalSamples: 26_000,
    evalEvery: 10_000,
    dataset: { fixedTriples: 128_000, fixedSeed: 0 },
  },
  lens: {
    description: "the lens paper's DCGAN of width C = 64 at 32×32 (MNIST padded; Color MNIST): Xavier init, Adam 1e-4 β1 0.5, batch 64, z 100",
    protocol: { nets: 'lens', latentDim: 100, prior: 'normal', batchSize: 64, lr: 1e-4, beta1: 0.5 },
    steps: 100_000,
    evalSamples: 4_096,
    evalEvery: 10_000,
    // The paper's images are all 32×32 ("1 color channel for MNIST"): MNIST's digits are padded.
    dataset: { imageSize: 32 },
  },
  quick: {
    description: 'small-d ¼G networks and optimizers at a CI budget: batch 64, 300 iterations, 2,560 samples (a smoke test, not a result)',
    protocol: { ...smallD('small-d-quarter'), batchSize: 64 },
    steps: 300,
    evalSamples: 2_560,
    evalEvery: 0,
  },
};

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset '${name}': choose one of ${Object.keys(PRESETS).join(', ')}`);
  return p;
}
