// The papers' own methods: mode-regularized GAN, MDGAN and IVGAN, each against what its paper says
// must hold (switched-off regularizers give the plain GAN; the mode term's sign; the manifold step
// learns an autoencoder; the intervention classifier shares D's body).
import { describe, expect, it } from 'vitest';
import { blockSizes, type IVGAN } from '../../src/methods/ivgan.js';
import type { MDGAN } from '../../src/methods/mdgan.js';
import type { RegGAN } from '../../src/methods/reg-gan.js';
import { buildRun } from '../../src/train/config.js';
import { getRngState, manualSeed, noGrad, randn, withSeed, type Tensor } from '../../src/torch/index.js';

const params = (m: { parameters(): Tensor[] }) => m.parameters().map((p) => p.toNumbers());

function points(method: string, methodOptions: Record<string, number | boolean>, steps = 30, seed = 5) {
  const run = buildRun({ method, methodOptions, steps, seed, evalEvery: 0, checkpointEvery: 0, evalSamples: 100, protocol: { batchSize: 32, hidden: [16, 16] } });
  const losses: Record<string, number>[] = [];
  run.trainer.on('step', ({ losses: l }) => losses.push(l));
  run.trainer.run();
  return { run, losses };
}
function images(method: string, methodOptions: Record<string, number | boolean>, steps = 4) {
  const run = buildRun({
    method,
    methodOptions,
    dataset: { name: 'stacked-mnist' },
    preset: 'quick',
    steps,
    seed: 2,
    evalEvery: 0,
    checkpointEvery: 0,
    evalSamples: 64,
    protocol: { batchSize: 16 },
  });
  run.trainer.run();
  return run;
}

describe('reg-gan', () => {
  it('with λ1 = λ2 = 0 its G and D are nsgan\u2019s after 30 steps on points, bit for bit', () => {
    const a = points('reg-gan', { lambda1: 0, lambda2: 0 });
    const b = points('nsgan', {});
    const [ra, rb] = [a.run.method as RegGAN, b.run.method as unknown as RegGAN];
    expect(params(ra.G)).toEqual(params(rb.G));
    expect(params(ra.D)).toEqual(params(rb.D));
    expect(a.losses.map((l) => [l.d, l.g])).toEqual(b.losses.map((l) => [l.d, l.g]));
  });
  it('… and on Stacked-MNIST with the DCGAN networks (G with two BatchNorm streams)', () => {
    const a = images('reg-gan', { lambda1: 0, lambda2: 0 }).method as RegGAN;
    const b = images('nsgan', {}).method as unknown as RegGAN;
    expect(params(a.G)).toEqual(params(b.G));
    expect(params(a.D)).toEqual(params(b.D));
    // Noise batches keep G's first stream: its running statistics are nsgan's.
    const stats = (m: RegGAN, suffix: string) => Object.entries(m.G.stateDict()).filter(([k]) => k.endsWith(`running_mean${suffix}`)).map(([, t]) => t.toNumbers());
    expect(stats(a, '_0')).toEqual(stats(b, ''));
    expect(stats(a, '_1')).not.toEqual(stats(a, '_0'));
  });
  it('regularizers switched on change the run, and E trains', () => {
    const a = points('reg-gan', { lambda1: 0.2, lambda2: 0.4 });
    const b = points('nsgan', {});
    expect(params((a.run.method as RegGAN).G)).not.toEqual(params((b.run.method as unknown as RegGAN).G));
    expect(a.losses.at(-1)!.metric).toBeLessThan(a.losses[0].metric);
  });
  it('the mode term moves G(E(x)) towards what D calls real (the stated intent, not the opposite sign)', () => {
    // D as good as frozen (lr 1e-12), 20 steps with the mode term dominant vs switched off, same seed: D's logit on G(E(x)) rises.
    const logitAfter = (lambda2: number) => {
      const run = buildRun({ method: 'reg-gan', methodOptions: { lambda1: 0, lambda2 }, steps: 20, seed: 4, evalEvery: 0, checkpointEvery: 0, evalSamples: 10, protocol: { batchSize: 64, hidden: [16, 16], lrD: 1e-12, lrG: 0.01 } });
      run.trainer.run();
      const m = run.method as RegGAN;
      manualSeed(11);
      return noGrad(() => m.D.forward(m.G.forward(m.E.forward(run.data.sampler.sample(256)))).mean().item());
    };
    const [on, off] = [logitAfter(50), logitAfter(0)];
    expect(on).toBeGreaterThan(off + 0.5);
  });
});

describe('a private random stream', () => {
  it('withSeed puts the global generator back where it was', () => {
    manualSeed(3);
    const plain = [randn([3]).toNumbers(), randn([3]).toNumbers()];
    manualSeed(3);
    const first = randn([3]).toNumbers();
    const inside = withSeed(77, () => randn([5]).toNumbers());
    expect([first, randn([3]).toNumbers()]).toEqual(plain);
    expect(withSeed(77, () => randn([5]).toNumbers())).toEqual(inside);
    expect(getRngState().dtype).toBe('uint8');
  });
});

describe('mdgan', () => {
  it('the manifold step teaches G∘E to reconstruct; both discriminators and E get their own optimizer', () => {
    const { run, losses } = points('mdgan', {}, 300);
    const m = run.method as MDGAN;
    expect(Object.keys(m.optimizers).sort()).toEqual(['D1', 'D2', 'E', 'G']);
    const early = losses.slice(0, 20).reduce((s, l) => s + l.rec, 0) / 20;
    const late = losses.slice(-20).reduce((s, l) => s + l.rec, 0) / 20;
    expect(late).toBeLessThan(0.5 * early);
  });
  it('runs on Stacked-MNIST with the DCGAN family', () => {
    const m = images('mdgan', {}, 2).method as MDGAN;
    expect(m.E.forward(noGrad(() => randn([2, 3, 28, 28]))).shape).toEqual([2, 256]);
  });
});

describe('ivgan', () => {
  it('blocks: 256 = 4 × 64, uneven sizes when k does not divide, refused beyond the latent size', () => {
    expect(blockSizes(256, 4)).toEqual([64, 64, 64, 64]);
    expect(blockSizes(10, 4)).toEqual([3, 3, 2, 2]);
    expect(() => blockSizes(2, 3)).toThrow(/2 to 2 blocks/);
  });
  it('the intervention classifier is a second head on D\u2019s body: one copy of its parameters, in D\u2019s optimizer', () => {
    const run = images('ivgan', {}, 3);
    const m = run.method as IVGAN;
    expect(m.C.weight.shape).toEqual([4, 128]);
    const inD = new Set(m.optimizers.D.params);
    for (const p of [...m.D.parameters(), ...m.C.parameters()]) expect(inD.has(p)).toBe(true);
    expect(m.optimizers.D.params).toHaveLength(m.D.parameters().length + m.C.parameters().length);
    for (const p of m.E.parameters()) expect(m.optimizers.G.params.includes(p)).toBe(true);
  });
  it('on 2D points the latent of 2 gives 2 blocks; losses stay finite and the reconstruction improves', () => {
    const { run, losses } = points('ivgan', { gamma: 1 }, 200);
    expect((run.method as IVGAN).C.weight.shape[0]).toBe(2);
    expect(losses.every((l) => Number.isFinite(l.d) && Number.isFinite(l.g))).toBe(true);
    expect(losses.at(-1)!.rec).toBeLessThan(losses[0].rec);
  });
});

describe('ablations in one table', () => {
  it("'|' separates the values of one option: every combination is a row, in the order written", async () => {
    const { expandVariants } = await import('../../src/methods/index.js');
    const v = expandVariants(['reg-gan:lambda1=0|0.2:lambda2=0|0.4', 'lens-gan:K=10000|100000', 'nsgan']);
    expect(v.map((x) => x.label)).toEqual([
      'reg-gan:lambda1=0:lambda2=0',
      'reg-gan:lambda1=0:lambda2=0.4',
      'reg-gan:lambda1=0.2:lambda2=0',
      'reg-gan:lambda1=0.2:lambda2=0.4',
      'lens-gan:K=10000',
      'lens-gan:K=100000',
      'nsgan',
    ]);
    expect(v[3].options).toEqual({ lambda1: 0.2, lambda2: 0.4 });
    expect(() => expandVariants(['reg-gan:lambda1=0|-1'])).toThrow(/reg-gan:lambda1=-1/);
    expect(() => expandVariants(['reg-gan:lambda1=0|'])).toThrow(/empty value/);
  });
});
