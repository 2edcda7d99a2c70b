// gantry's direct few-channel convolution (native/kernels.cc: in·out channels ≤ 32 on the CPU)
// against libtorch's own conv2d, and against finite differences, to second order.
import { describe, expect, it } from 'vitest';
import { F, getNumThreads, grad, manualSeed, randn, scope, setNumThreads, wrap, type Tensor } from '../../src/torch/index.js';
import { N } from '../../src/torch/native.js';
import { f64, gradcheck } from '../helpers.js';

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
      ref.forEach((r, i) => {
        const scale = 1 + Math.max(...r.map(Math.abs));
        expect(Math.max(...r.map((v, k) => Math.abs(v - ours[i][k]))) / scale).toBeLessThan(1e-10);
      });
    }
  });

  it('the weight gradient has the same bits with 1 and 2 threads', () => {
    const before = getNumThreads();
    const weightGrad = (threads: number) => {
      setNumThreads(threads);
      return scope(() => {
        manualSeed(4);
        const x = randn([128, 8, 28, 28]);
        const W = randn([3, 8, 3, 3]).requiresGrad_(true);
        const y = F.conv2d(x, W, null, { padding: 1 });
        return grad(y.mul(randn(y.shape)).sum(), W)[0]!.toNumbers();
      });
    };
    try {
      expect(weightGrad(2)).toEqual(weightGrad(1));
    } finally {
      setNumThreads(before);
    }
  });
});
