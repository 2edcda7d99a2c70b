// The network families: shapes by role, the pinned DCGAN architectures (parameter counts by hand),
// their initialisation, and the shape-generic operations methods rely on.
import { describe, expect, it } from 'vitest';
import { image } from '../../src/data/shape.js';
import { AdversarialMethod, METHODS, ProtocolSchema, pack } from '../../src/methods/index.js';
import { gradientPenalty } from '../../src/methods/wgan-gp.js';
import { DcganFamily, DCGAN_SPECS, MLPFamily, familyFor } from '../../src/nets/index.js';
import { Flatten, Linear, Sequential } from '../../src/nn/index.js';
import { manualSeed, noGrad, randn, scope, tensor } from '../../src/torch/index.js';

const stacked = image(3, 28);

describe('DCGAN family', () => {
  it('small-d ¼G: G z(256) → 3×28×28 and D → 1, with the parameter counts of PROTOCOLS.md', () => {
    manualSeed(0);
    const f = familyFor(stacked, 'small-d-quarter', [128]);
    const G = f.generator(256);
    const D = f.discriminator();
    // G: linear 256→4·4·64, BN 64, deconvs 64→32→16→8 (3×3), BN 32/16/8, conv 8→3 (3×3)
    const g = 256 * 1024 + 1024 + 128 + (64 * 32 * 9 + 32) + 64 + (32 * 16 * 9 + 16) + 32 + (16 * 8 * 9 + 8) + 16 + (8 * 3 * 9 + 3);
    // D: convs 3→2→4→8 (3×3), BN 4 and 8, linear 8·4·4 → 1
    const d = 3 * 2 * 9 + 2 + (2 * 4 * 9 + 4) + 8 + (4 * 8 * 9 + 8) + 16 + 129;
    expect(G.numParameters()).toBe(g);
    expect(D.numParameters()).toBe(d);
    scope(() => {
      const x = G.forward(randn([2, 256]));
      expect(x.shape).toEqual([2, 3, 28, 28]);
      expect(Math.max(...x.toNumbers().map(Math.abs))).toBeLessThanOrEqual(1);
      expect(D.forward(x).shape).toEqual([2, 1]);
    });
  });
  it('small-d ½G doubles the discriminator channels (4, 8, 16)', () => {
    const D = familyFor(stacked, 'small-d-half', [128]).discriminator();
    expect(D.numParameters()).toBe(3 * 4 * 9 + 4 + (4 * 8 * 9 + 8) + 16 + (8 * 16 * 9 + 16) + 32 + (16 * 16 + 1));
  });
  it('veegan protocol: z(100) → 2×2×512 → 28×28, D 64-128-256-512 with 5×5 kernels', () => {
    const f = familyFor(stacked, 'veegan', [128]);
    scope(() => {
      const x = f.generator(100).forward(randn([2, 100]));
      expect(x.shape).toEqual([2, 3, 28, 28]);
      expect(f.discriminator().forward(x).shape).toEqual([2, 1]);
    });
  });
  it('lens paper width C on 32×32 and small-d on compositional 28×84 images', () => {
    scope(() => {
      const lens = familyFor(image(3, 32), 'lens', [128]);
      expect(lens.generator(100).forward(randn([2, 100])).shape).toEqual([2, 3, 32, 32]);
      const wide = familyFor(image(1, 28, 84), 'small-d-quarter', [128]);
      const x = wide.generator(8).forward(randn([2, 8]));
      expect(x.shape).toEqual([2, 1, 28, 84]);
      expect(wide.discriminator().forward(x).shape).toEqual([2, 1]);
      expect(wide.encoder(8).forward(x).shape).toEqual([2, 8]);
      expect(wide.joint(8).score(x, randn([2, 8])).shape).toEqual([2, 1]);
      expect(wide.autoencoder(16).forward(x).shape).toEqual([2, 1, 28, 84]);
    });
    expect(() => familyFor(image(1, 28), 'lens', [128])).toThrow(/cannot produce 28 pixels/);
  });
  it('DCGAN initialisation: conv weights N(0, 0.02), BN scale N(1, 0.02), biases 0', () => {
    manualSeed(1);
    const G = new DcganFamily(stacked, DCGAN_SPECS.veegan).generator(100);
    const named = Object.fromEntries(G.namedParameters());
    const w = named['4.weight'].toNumbers(); // the first deconv
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(named['4.bias'].toNumbers().every((v) => v === 0)).toBe(true);
    const scale = named['2.weight'].toNumbers();
    expect(Math.abs(scale.reduce((a, b) => a + b, 0) / scale.length - 1)).toBeLessThan(0.01);
  });
  it('the families refuse the other kind of data', () => {
    expect(() => familyFor(stacked, 'mlp', [8])).toThrow(/take points/);
    expect(() => familyFor({ kind: 'points', dim: 2 }, 'veegan', [8])).toThrow(/take images/);
    expect(familyFor({ kind: 'points', dim: 2 }, 'auto', [8])).toBeInstanceOf(MLPFamily);
  });
});

describe('shape-generic operations', () => {
  it('packing puts m images side by side along channels, consecutive samples in one pack', () => {
    const x = tensor(Array.from({ length: 4 * 3 * 2 * 2 }, (_, i) => i)).view(4, 3, 2, 2);
    const p = pack(x, 2);
    expect(p.shape).toEqual([2, 6, 2, 2]);
    expect(p.toNumbers().slice(0, 24)).toEqual(x.toNumbers().slice(0, 24));
  });
  it("WGAN-GP's penalty on images: a linear critic with ‖w‖ = 5 over all 12 pixels gives λ(5 − 1)²", () => {
    const lin = new Linear(12, 1);
    noGrad(() => {
      lin.weight.copy_(tensor([[3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]));
      lin.bias!.fill_(0);
    });
    const D = new Sequential(Flatten(), lin);
    const pen = scope(() => gradientPenalty(D, randn([5, 3, 2, 2]), randn([5, 3, 2, 2]), 2).item());
    expect(pen).toBeCloseTo(2 * 16, 4);
  });
  it('every method takes a step on images with a small DCGAN family', () => {
    for (const id of Object.keys(METHODS)) {
      manualSeed(3);
      const family = new DcganFamily(image(1, 8), { ...DCGAN_SPECS['small-d-quarter'], gChannels: [4, 4, 2], dChannels: [2, 2] });
      const p = ProtocolSchema.parse({ latentDim: 4, batchSize: 4, nets: 'small-d-quarter' });
      const spec = METHODS[id];
      const m = spec.create(p, family, spec.options.parse(id === 'unrolled' ? { unrollSteps: 1 } : {}));
      const losses = scope(() => m.step({ real: (n = 4) => randn([n, 1, 8, 8]).tanh(), iteration: 0 }));
      for (const v of Object.values(losses)) expect(Number.isFinite(v)).toBe(true);
      expect(scope(() => m.sample(3).shape)).toEqual([3, 1, 8, 8]);
      if (m instanceof AdversarialMethod) expect(scope(() => m.critic(randn([2, 1, 8, 8])).shape)).toEqual([2, 1]);
    }
  });
});

describe('protocol: per-network optimizers, G updates per D update, prior', () => {
  const build = (o: Record<string, unknown>) => {
    manualSeed(0);
    return METHODS.nsgan.create(ProtocolSchema.parse({ hidden: [4], batchSize: 8, ...o }), new MLPFamily(2, [4]), {});
  };
  it('lrG/lrD and betasG/betasD reach the two optimizers', () => {
    const m = build({ lrG: 1e-4, lrD: 2e-4, betasG: [0.5, 0.99], betasD: [0.4, 0.9] });
    expect(m.optimizers.G.stateDict().meta).toMatchObject({ lr: 1e-4, beta1: 0.5, beta2: 0.99 });
    expect(m.optimizers.D.stateDict().meta).toMatchObject({ lr: 2e-4, beta1: 0.4, beta2: 0.9 });
  });
  it('gSteps = 2 takes two G updates per D update', () => {
    const m = build({ gSteps: 2 });
    scope(() => m.step({ real: (n = 8) => randn([n, 2]), iteration: 0 }));
    expect(m.optimizers.G.step_).toBe(2);
    expect(m.optimizers.D.step_).toBe(1);
  });
  it('the uniform prior draws from U(−1, 1), the normal one is unbounded', () => {
    const u = scope(() => build({ prior: 'uniform' }).noise(4000).toNumbers());
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(Math.max(...u)).toBeGreaterThan(0.99);
    const n = scope(() => build({}).noise(4000).toNumbers());
    expect(Math.max(...n.map(Math.abs))).toBeGreaterThan(2);
  });
});
