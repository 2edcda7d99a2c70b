// Each method's loss terms against values computed by hand. The method is handed a tiny family of
// linear maps with known weights and a generator that returns a fixed batch, and the prior is fixed,
// so that every number below can be checked on paper. Learning rates of 1e-30 keep the networks as
// set between the D and the G update (a change far below float32's resolution of the weights),
// except where a method changes them itself, like WGAN's clipping.
import { describe, expect, it } from 'vitest';
import { Linear, Module } from '../../src/nn/index.js';
import { METHODS, ProtocolSchema, type Losses, type Method } from '../../src/methods/index.js';
import { MLPFamily, type Family, type Joint } from '../../src/nets/index.js';
import { cat, manualSeed, noGrad, scope, tensor, type Tensor } from '../../src/torch/index.js';

/** The synthetic protocol's MLP networks on 2D points, `hidden` wide. */
const points2d = (hidden: number[]) => new MLPFamily(2, hidden);

const sp = (x: number) => Math.log1p(Math.exp(x)); // softplus
const REAL = [[1, 0], [2, 0]];
const FAKE = [[-1, 0], [0, 0]];
const Z = [[1, 2], [0, 1]];

function linear(weights: number[][], bias?: number[]): Linear {
  const l = new Linear(weights[0].length, weights.length);
  noGrad(() => {
    l.weight.copy_(tensor(weights));
    l.bias!.copy_(tensor(bias ?? weights.map(() => 0)));
  });
  return l;
}

/** A linear joint discriminator on the concatenated pair, (x, z) or (z, x) as the method orders it. */
function joint(weights: number[][], zFirst: boolean): Linear & { score(x: Tensor, z: Tensor): Tensor } {
  const l = linear(weights);
  return Object.assign(l, { score: (x: Tensor, z: Tensor) => l.forward(cat(zFirst ? [z, x] : [x, z], 1)) });
}

/** A generator that ignores z and returns `fake`; one zero parameter, for its optimizer. */
class FixedGenerator extends Module {
  private readonly zero = this.registerParameter('zero', tensor([0], { requiresGrad: true }));
  constructor(private readonly fake: Tensor) {
    super();
  }
  forward(): Tensor {
    return this.fake.add(this.zero);
  }
}

/** A family whose networks are the given ones: D for every discriminator role, E or F as the encoder. */
function tinyFamily(fake: Tensor, nets: Record<string, Module>): Family {
  const { D, E, F } = nets;
  return {
    name: 'tiny',
    shape: { kind: 'points', dim: 2 },
    generator: () => new FixedGenerator(fake),
    discriminator: () => D,
    autoencoder: () => D,
    joint: () => D as Joint,
    encoder: () => E ?? F,
    lens: () => {
      throw new Error('no lens in the tiny family');
    },
  };
}

/** Runs one step of `id` on the tiny family made of `nets`, with the prior's codes fixed to Z. */
function stepWith(id: string, nets: Record<string, Module>, options: Record<string, number> = {}): Losses {
  manualSeed(0);
  const fake = tensor(FAKE, { requiresGrad: true });
  const protocol = ProtocolSchema.parse({ hidden: [4], batchSize: 2, lr: 1e-30 });
  const method = METHODS[id].create(protocol, tinyFamily(fake, nets), METHODS[id].options.parse(options)) as Method;
  Object.assign(method, { noise: () => tensor(Z) });
  return scope(() => method.step({ real: () => tensor(REAL), iteration: 0 }));
}

describe('loss terms by hand', () => {
  const D = () => linear([[1, 0]]); // logits = x₀: real → (1, 2), fake → (−1, 0)
  it('gan (minimax)', () => {
    const l = stepWith('gan', { D: D() });
    expect(l.d).toBeCloseTo((sp(-1) + sp(-2)) / 2 + (sp(-1) + sp(0)) / 2, 6);
    expect(l.g).toBeCloseTo(-(sp(-1) + sp(0)) / 2, 6);
  });
  it('nsgan', () => {
    const l = stepWith('nsgan', { D: D() });
    expect(l.g).toBeCloseTo((sp(1) + sp(0)) / 2, 6);
  });
  it('lsgan', () => {
    const l = stepWith('lsgan', { D: D() });
    expect(l.d).toBeCloseTo(0.5 * ((0 + 1) / 2 + (1 + 0) / 2), 6);
    expect(l.g).toBeCloseTo(0.5 * ((4 + 1) / 2), 6);
  });
  it('wgan: critic difference, then clipping shrinks the critic before the G step', () => {
    const l = stepWith('wgan', { D: D() }, { nCritic: 1 });
    expect(l.d).toBeCloseTo(-0.5 - 1.5, 6);
    expect(l.g).toBeCloseTo(-(0.01 * -0.5), 6); // w clipped from 1 to 0.01
  });
  it('wgan-gp: a linear critic with ‖w‖ = 5 has penalty λ(5 − 1)²', () => {
    const l = stepWith('wgan-gp', { D: linear([[3, 4]]) }, { nCritic: 1 });
    expect(l.gp).toBeCloseTo(0.1 * 16, 5);
    expect(l.d).toBeCloseTo(3 * -0.5 - 3 * 1.5 + 1.6, 5);
    expect(l.g).toBeCloseTo(1.5, 5);
  });
  it('pacgan: packs of 2 concatenated along features', () => {
    const l = stepWith('pacgan', { D: linear([[1, 0, 1, 0]]) }, { packing: 2 });
    expect(l.d).toBeCloseTo(sp(-3) + sp(-1), 6);
    expect(l.g).toBeCloseTo(sp(1), 6);
  });
  it('ebgan: energies of a halving autoencoder, margin 1', () => {
    const l = stepWith('ebgan', { D: linear([[0.5, 0], [0, 0.5]]) });
    // e(x) = mean((x/2 − x)²): real (0.125, 0.5), fake (0.125, 0)
    expect(l.d).toBeCloseTo(0.3125 + (0.875 + 1) / 2, 6);
    expect(l.g).toBeCloseTo(0.0625, 6);
  });
  it('began: L1 reconstruction losses and the k update', () => {
    const l = stepWith('began', { D: linear([[0.5, 0], [0, 0.5]]) });
    expect(l.d).toBeCloseTo(0.375, 6); // k₀ = 0
    expect(l.g).toBeCloseTo(0.125, 6);
    expect(l.k).toBeCloseTo(0.001 * (0.5 * 0.375 - 0.125), 9);
  });
  it('ali: joint discriminator on (x, E(x)) vs (G(z), z)', () => {
    const l = stepWith('ali', { D: joint([[1, 0, 0, 0]], false), E: linear([[0, 0], [0, 0]]) });
    expect(l.d).toBeCloseTo((sp(-1) + sp(-2)) / 2 + (sp(-1) + sp(0)) / 2, 6);
    expect(l.g).toBeCloseTo((sp(1) + sp(2)) / 2 + (sp(1) + sp(0)) / 2, 6);
  });
  it('veegan: D on (z, x), ℓ2 reconstruction of z', () => {
    const l = stepWith('veegan', { D: joint([[0, 0, 1, 0]], true), F: linear([[0, 0], [0, 0]]) });
    expect(l.d).toBeCloseTo((sp(1) + sp(0)) / 2 + (sp(1) + sp(2)) / 2, 6);
    expect(l.rec).toBeCloseTo((5 + 1) / 2, 6); // F(G(z)) = 0, so ‖z‖² averaged
    expect(l.g).toBeCloseTo(-0.5 - 1.5 + 3, 6);
  });
  it('unrolled with k = 0 is the non-saturating GAN', () => {
    const l = stepWith('unrolled', { D: D() }, { unrollSteps: 0 });
    expect(l.g).toBeCloseTo((sp(1) + sp(0)) / 2, 6);
  });
});

describe('unrolling is real', () => {
  /** G's gradient after one step with k unrolled D updates (same init, data and latents). */
  function gGrad(k: number): number[] {
    manualSeed(7);
    const spec = METHODS.unrolled;
    const m = spec.create(ProtocolSchema.parse({ hidden: [8], batchSize: 16 }), points2d([8]), spec.options.parse({ unrollSteps: k })) as Method;
    manualSeed(8);
    const real = tensor(Array.from({ length: 16 }, (_, i) => [Math.cos(i), Math.sin(i)]));
    const z: Tensor = tensor(Array.from({ length: 16 }, (_, i) => [i / 8 - 1, (i % 4) / 2 - 1]));
    Object.assign(m, { noise: () => z });
    // Stop G's update so that its gradient can be read after the step.
    m.optG.step = () => {};
    scope(() => m.step({ real: () => real, iteration: 0 }));
    return m.G.parameters()[0].grad!.toNumbers();
  }
  it("G's gradient through 3 unrolled steps differs from k = 0 and is finite", () => {
    const g0 = gGrad(0);
    const g3 = gGrad(3);
    expect(g3.every(Number.isFinite)).toBe(true);
    const diff = Math.max(...g0.map((v, i) => Math.abs(v - g3[i])));
    expect(diff).toBeGreaterThan(1e-6);
  });
});

describe('weight averaging (protocol.ema)', () => {
  it('G_ema = d·G_ema + (1 − d)·G after each step, and sampling uses it', () => {
    manualSeed(0);
    const spec = METHODS.nsgan;
    const m = spec.create(ProtocolSchema.parse({ hidden: [4], batchSize: 8, ema: 0.5 }), points2d([4]), spec.options.parse({})) as Method;
    const before = m.G.parameters()[0].toNumbers();
    scope(() => m.step({ real: () => tensor([[1, 0], [0, 1]]), iteration: 0 }));
    const after = m.G.parameters()[0].toNumbers();
    const ema = m.Gema!.parameters()[0].toNumbers();
    ema.forEach((v, i) => expect(v).toBeCloseTo(0.5 * before[i] + 0.5 * after[i], 6));
    expect(after).not.toEqual(before);
    // sample() draws from G_ema: same latents through G_ema by hand give the same points
    manualSeed(1);
    const s = scope(() => m.sample(3).toNumbers());
    manualSeed(1);
    const byHand = scope(() => m.Gema!.forward(m.noise(3)).toNumbers());
    expect(s).toEqual(byHand);
  });
});

describe('instance noise', () => {
  it('σ_t = σ0·(1 − t/T) on D inputs, gone after T steps', () => {
    manualSeed(0);
    const spec = METHODS.gan;
    const m = spec.create(ProtocolSchema.parse({ hidden: [4], instanceNoise: 1, instanceNoiseSteps: 10 }), points2d([4]), {}) as Method;
    const dIn = (iteration: number) => {
      (m as unknown as { iteration: number }).iteration = iteration;
      return scope(() => (m as unknown as { dIn: (x: Tensor) => Tensor }).dIn(tensor(new Array(4000).fill([0, 0]))).std([0, 1]).item());
    };
    expect(dIn(0)).toBeCloseTo(1, 1);
    expect(dIn(5)).toBeCloseTo(0.5, 1);
    expect(dIn(10)).toBe(0);
  });
});
