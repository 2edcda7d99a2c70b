// gantry's native CPU kernels (native/kernels.cc) against libtorch's own ops and against finite
// differences, to second order: the direct few-channel convolution (in·out channels ≤ 32) and
// batch normalisation in training. (The sub-pixel crop-and-shuffle: conv-transpose.test.ts.)
import { describe, expect, it } from 'vitest';
import { F, getNumThreads, grad, manualSeed, ones, randn, scope, setNumThreads, wrap, zeros, type Tensor } from '../../src/torch/index.js';
import { N } from '../../src/torch/native.js';
import { f64, gradcheck, maxRelDiff } from '../helpers.js';

type Conv = (x: Tensor, w: Tensor, b: Tensor | null, stride: number[], padding: number[]) => Tensor;
const libtorch: Conv = (x, w, b, stride, padding) => wrap(N.conv2dLibtorch(x.h, w.h, b?.h ?? null, stride, padding, [1, 1], 1));
const gantry: Conv = (x, w, b, stride, padding) => F.conv2d(x, w, b, { stride, padding });

// [in, out, kh, kw, stride h, stride w, pad h, pad w, height, width]: W4's four (D's three stride-2
// layers, G's final 8 → 3), W3's 1 → 4 phases, non-square kernels and strides, padding beyond the
// kernel, a 1×1 kernel, stride 3, and maps too small for one vector register.
const CASES = [
  [3, 2, 3, 3, 2, 2, 1, 1, 28, 28],
  [2, 4, 3, 3, 2, 2, 1, 1, 14, 14],
  [4, 8, 3, 3, 2, 2, 1, 1, 7, 7],
  [8, 3, 3, 3, 1, 1, 1, 1, 28, 28],
  [1, 4, 3, 3, 1, 1, 1, 1, 14, 14],
  [2, 3, 5, 3, 3, 1, 4, 0, 9, 11],
  [3, 2, 2, 4, 1, 2, 0, 3, 6, 13],
  [1, 4, 1, 1, 1, 1, 0, 0, 5, 6],
  [3, 3, 3, 3, 2, 2, 0, 0, 8, 8],
  [4, 1, 3, 3, 2, 2, 1, 1, 3, 2],
  [32, 1, 5, 5, 2, 2, 2, 2, 9, 9],
];
/** fn's result (in a scope) with 1 and then 2 intra-op threads; the setting is restored. */
function withOneAndTwoThreads<T>(fn: () => T): [T, T] {
  const before = getNumThreads();
  try {
    return [1, 2].map((n) => {
      setNumThreads(n);
      return scope(fn);
    }) as [T, T];
  } finally {
    setNumThreads(before);
  }
}
const relErr = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item() / (1 + b.abs().max().item());

describe('direct few-channel conv2d', () => {
  it('same values and gradients as libtorch (float32, 1e-5 relative), with and without bias', () => {
    manualSeed(0);
    for (const [c, o, kh, kw, sh, sw, ph, pw, h, w] of CASES) {
      for (const withBias of [true, false]) {
        scope(() => {
          const x = randn([5, c, h, w]).requiresGrad_(true);
          const W = randn([o, c, kh, kw]).mul(0.3).requiresGrad_(true);
          const b = withBias ? randn([o]).requiresGrad_(true) : null;
          const [ref, ours] = [libtorch(x, W, b, [sh, sw], [ph, pw]), gantry(x, W, b, [sh, sw], [ph, pw])];
          expect(ours.shape).toEqual(ref.shape);
          expect(relErr(ours, ref)).toBeLessThan(1e-5);
          const g = randn(ref.shape);
          const inputs = b ? [x, W, b] : [x, W];
          const [gr, go] = [grad(ref.mul(g).sum(), inputs), grad(ours.mul(g).sum(), inputs)];
          gr.forEach((t, i) => expect(relErr(go[i]!, t!)).toBeLessThan(1e-5));
        });
      }
    }
  });

  it('gradcheck in float64 (input, weight, bias)', () => {
    manualSeed(1);
    for (const [c, o, kh, kw, sh, sw, ph, pw, h, w] of [[2, 3, 3, 3, 2, 2, 1, 1, 5, 5], [3, 2, 2, 3, 1, 2, 2, 0, 4, 5]]) {
      const err = gradcheck(([x, W, b]) => F.conv2d(x, W, b, { stride: [sh, sw], padding: [ph, pw] }), [f64([2, c, h, w]), f64([o, c, kh, kw]), f64([o])]);
      expect(err).toBeLessThan(1e-6);
    }
  });

  it("gradients of a gradient penalty equal libtorch's (float64, 1e-10 relative)", () => {
    // As WGAN-GP through a DCGAN critic: ‖∂D/∂x‖ depends on W through the transposed convolution,
    // and its gradient reaches W, b, x and the upstream weights through all three kernels.
    manualSeed(2);
    for (const conv of [[3, 2, 2, 1, 12], [8, 3, 1, 1, 10]]) {
      const [c, o, s, p, h] = conv;
      const run = (f: Conv) =>
        scope(() => {
          manualSeed(3);
          const x = f64([4, c, h, h]).requiresGrad_(true);
          const W = f64([o, c, 3, 3]).requiresGrad_(true);
          const b = f64([o]).requiresGrad_(true);
          const W2 = f64([1, o, 3, 3]).requiresGrad_(true);
          const critic = (v: Tensor) => f(f(v, W, b, [s, s], [p, p]).tanh(), W2, null, [1, 1], [1, 1]).sum();
          const [gx] = grad(critic(x), x, { createGraph: true });
          const penalty = gx!.square().sum([1, 2, 3]).sqrt().sub(1).square().mean();
          return grad(penalty, [x, W, b, W2]).map((t) => t!.toNumbers());
        });
      const [ref, ours] = [run(libtorch), run(gantry)];
      expect(maxRelDiff(ref, ours)).toBeLessThan(1e-10);
    }
  });

  it('the weight gradient has the same bits with 1 and 2 threads', () => {
    const [one, two] = withOneAndTwoThreads(() => {
      manualSeed(4);
      const x = randn([128, 8, 28, 28]);
      const W = randn([3, 8, 3, 3]).requiresGrad_(true);
      const y = F.conv2d(x, W, null, { padding: 1 });
      return grad(y.mul(randn(y.shape)).sum(), W)[0]!.toNumbers();
    });
    expect(two).toEqual(one);
  });
});

type Norm = (x: Tensor, w: Tensor | null, b: Tensor | null, rm: Tensor | null, rv: Tensor | null) => Tensor;
const bnLibtorch: Norm = (x, w, b, rm, rv) => wrap(N.batchNormLibtorch(x.h, w?.h ?? null, b?.h ?? null, rm?.h ?? null, rv?.h ?? null, true, 0.1, 1e-5));
const bnGantry: Norm = (x, weight, bias, runningMean, runningVar) => F.batchNorm(x, { weight, bias, runningMean, runningVar, training: true, momentum: 0.1, eps: 1e-5 });

describe('batch normalisation in training', () => {
  // W4's G and D maps, a BatchNorm1d batch, a 3-d input, and a map of one pixel.
  const SHAPES = [[128, 8, 28, 28], [128, 64, 4, 4], [64, 16], [3, 4, 5], [7, 3, 1, 1]];
  it('same output, running statistics and gradients as libtorch (float32, 1e-5 relative), affine or not', () => {
    manualSeed(6);
    for (const shape of SHAPES) {
      for (const affine of [true, false]) {
        scope(() => {
          const C = shape[1];
          const x = randn(shape).mul(3).add(1).requiresGrad_(true);
          const w = affine ? randn([C]).requiresGrad_(true) : null;
          const b = affine ? randn([C]).requiresGrad_(true) : null;
          const stats = () => [randn([C]), randn([C]).abs().add(0.5)];
          const [rm1, rv1] = stats();
          const [rm2, rv2] = [rm1.clone(), rv1.clone()];
          const [ref, ours] = [bnLibtorch(x, w, b, rm1, rv1), bnGantry(x, w, b, rm2, rv2)];
          expect(relErr(ours, ref)).toBeLessThan(1e-5);
          expect(relErr(rm2, rm1)).toBeLessThan(1e-6);
          expect(relErr(rv2, rv1)).toBeLessThan(1e-6);
          const g = randn(shape);
          const inputs = affine ? [x, w!, b!] : [x];
          const [gr, go] = [grad(ref.mul(g).sum(), inputs), grad(ours.mul(g).sum(), inputs)];
          gr.forEach((t, i) => expect(relErr(go[i]!, t!)).toBeLessThan(1e-5));
        });
      }
    }
  });

  it('without running statistics, and in float64 against finite differences', () => {
    manualSeed(7);
    scope(() => {
      const x = randn([6, 3, 4, 4]);
      expect(relErr(bnGantry(x, null, null, null, null), bnLibtorch(x, null, null, null, null))).toBeLessThan(1e-5);
    });
    const err = gradcheck(([x, w, b]) => bnGantry(x, w, b, zeros([3], { dtype: 'float64' }), ones([3], { dtype: 'float64' })), [f64([4, 3, 2, 3]), f64([3]), f64([3])]);
    expect(err).toBeLessThan(1e-6);
  });

  it("gradients of a gradient penalty through a BatchNorm critic equal libtorch's (float64, 1e-10 relative)", () => {
    const run = (bn: Norm) =>
      scope(() => {
        manualSeed(8);
        const x = f64([6, 4, 3, 3]).requiresGrad_(true);
        const [w, b] = [f64([4]).requiresGrad_(true), f64([4]).requiresGrad_(true)];
        const v = f64([6, 4, 3, 3]);
        const [gx] = grad(bn(x, w, b, null, null).tanh().mul(v).sum(), x, { createGraph: true });
        return grad(gx!.square().sum().sqrt(), [x, w, b]).map((t) => t!.toNumbers());
      });
    const [ref, ours] = [run(bnLibtorch), run(bnGantry)];
    expect(maxRelDiff(ref, ours)).toBeLessThan(1e-10);
  });

  it('the same bits with 1 and 2 threads', () => {
    const [one, two] = withOneAndTwoThreads(() => {
      manualSeed(9);
      const x = randn([32, 8, 14, 14]).requiresGrad_(true);
      const w = randn([8]).requiresGrad_(true);
      const y = bnGantry(x, w, null, zeros([8]), ones([8]));
      const [gx, gw] = grad(y.mul(randn(y.shape)).sum(), [x, w]);
      return [...y.toNumbers(), ...gx!.toNumbers(), ...gw!.toNumbers()];
    });
    expect(two).toEqual(one);
  });
});
