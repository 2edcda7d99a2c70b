// gantry's stride-2 ConvTranspose2d (sub-pixel: one regular convolution per output phase, then
// the native crop-and-shuffle) against libtorch's own transposed convolution, and against finite
// differences.
import { describe, expect, it } from 'vitest';
import { F, grad, manualSeed, randn, scope, wrap, type Tensor } from '../../src/torch/index.js';
import { N } from '../../src/torch/native.js';
import { convTranspose2dPhases } from '../../src/torch/functional.js';
import { f64, gradcheck, maxRelDiff } from '../helpers.js';

const libtorch = (x: ReturnType<typeof randn>, w: ReturnType<typeof randn>, b: ReturnType<typeof randn>, p: number, op: number) =>
  wrap(N.convTranspose2d(x.h, w.h, b.h, [2, 2], [p, p], [op, op], 1, [1, 1]));

// [in channels, out channels, kernel, padding, output padding, height, width]: the small-d, veegan
// and lens layers, a non-square compositional-MNIST map, and paddings that crop the input.
const CASES = [
  [64, 32, 3, 1, 0, 4, 4],
  [32, 16, 3, 1, 1, 7, 7],
  [16, 8, 3, 1, 1, 14, 14],
  [8, 4, 5, 2, 1, 2, 2],
  [8, 4, 5, 2, 0, 4, 4],
  [8, 4, 4, 1, 0, 4, 4],
  [4, 2, 3, 1, 1, 7, 21],
  [3, 2, 3, 0, 0, 5, 5],
  [3, 2, 3, 2, 1, 5, 5],
];

describe('ConvTranspose2d, stride 2', () => {
  // The default (sub-pixel) route through F.convTranspose2d, and the phases route
  // (GANTRY_CONV_TRANSPOSE=phases: four convolutions with exactly their taps).
  const ROUTES: [string, (x: Tensor, W: Tensor, b: Tensor, p: number, op: number) => Tensor][] = [
    ['F.convTranspose2d (sub-pixel)', (x, W, b, p, op) => F.convTranspose2d(x, W, b, { stride: 2, padding: p, outputPadding: op })],
    ['the phases route', (x, W, b, p, op) => convTranspose2dPhases(x, W, b, [p, p], [op, op])],
  ];
  for (const [name, route] of ROUTES) {
    it(`${name}: same values and gradients as libtorch (float32, 1e-5)`, () => {
      manualSeed(0);
      for (const [cin, cout, k, p, op, h, w] of CASES) {
        scope(() => {
          const x = randn([3, cin, h, w]).requiresGrad_(true);
          const W = randn([cin, cout, k, k]).mul(0.1).requiresGrad_(true);
          const b = randn([cout]).requiresGrad_(true);
          const ref = libtorch(x, W, b, p, op);
          const ours = route(x, W, b, p, op);
          expect(ours.shape).toEqual(ref.shape);
          expect(ours.sub(ref).abs().max().item()).toBeLessThan(1e-5);
          const g = randn(ref.shape);
          const [gr, go] = [grad(ref.mul(g).sum(), [x, W, b]), grad(ours.mul(g).sum(), [x, W, b])];
          gr.forEach((t, i) => expect(t!.sub(go[i]!).abs().max().item() / (1 + t!.abs().max().item())).toBeLessThan(1e-5));
        });
      }
    });
  }
  it("gradients of a gradient's norm equal libtorch's (float64, 1e-10 relative): the crop-and-shuffle to second order", () => {
    // G → D as in a gradient penalty on G's output taken with respect to z-like inputs: the norm of
    // ∂(Σ y·v)/∂x depends on W and b through the sub-pixel route's backward, so its gradient runs
    // the crop-and-shuffle's backward of its backward.
    const run = (route: (x: Tensor, W: Tensor, b: Tensor) => Tensor) =>
      scope(() => {
        manualSeed(5);
        const x = randn([2, 8, 4, 4], { dtype: 'float64' }).requiresGrad_(true);
        const W = randn([8, 4, 3, 3], { dtype: 'float64' }).requiresGrad_(true);
        const b = randn([4], { dtype: 'float64' }).requiresGrad_(true);
        const v = randn([2, 4, 7, 7], { dtype: 'float64' });
        const [gx] = grad(route(x, W, b).tanh().mul(v).sum(), x, { createGraph: true });
        return grad(gx!.square().sum().sqrt(), [x, W, b]).map((t) => t!.toNumbers());
      });
    const ref = run((x, W, b) => libtorch(x, W, b, 1, 0));
    const ours = run((x, W, b) => F.convTranspose2d(x, W, b, { stride: 2, padding: 1, outputPadding: 0 }));
    expect(maxRelDiff(ref, ours)).toBeLessThan(1e-10);
  });
  it('gradcheck in float64 (input, weight, bias)', () => {
    manualSeed(1);
    for (const [k, p, op] of [[3, 1, 1], [5, 2, 0], [4, 1, 0]]) {
      const err = gradcheck(([x, w, b]) => F.convTranspose2d(x, w, b, { stride: 2, padding: p, outputPadding: op }), [f64([2, 3, 3, 3]), f64([3, 2, k, k]), f64([2])]);
      expect(err).toBeLessThan(1e-6);
    }
  });
});
