// Every differentiable op against central finite differences, in float64.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, cat, cdist, manualSeed, stack, tensor, where, type Tensor } from '../../src/torch/index.js';
import { f64, gradcheck } from '../helpers.js';

beforeAll(() => manualSeed(1));

const pos = (s: number[]) => f64(s).abs().add(0.5); // for log, sqrt, pow bases
const idx = (v: number[]) => tensor(v, { dtype: 'int64' });

// name → [function of the inputs, inputs]
const cases: Record<string, () => [(xs: Tensor[]) => Tensor, Tensor[]]> = {
  add: () => [([a, b]) => a.add(b, 0.7), [f64([3, 4]), f64([3, 4])]],
  addBroadcast: () => [([a, b]) => a.add(b), [f64([3, 4]), f64([4])]],
  addScalar: () => [([a]) => a.add(2.5), [f64([5])]],
  sub: () => [([a, b]) => a.sub(b), [f64([3, 4]), f64([3, 4])]],
  rsub: () => [([a]) => a.rsub(1), [f64([5])]],
  mul: () => [([a, b]) => a.mul(b), [f64([3, 4]), f64([3, 4])]],
  div: () => [([a, b]) => a.div(b), [f64([3, 4]), pos([3, 4])]],
  pow: () => [([a, b]) => a.pow(b), [pos([3]), f64([3])]],
  powScalar: () => [([a]) => a.pow(3), [f64([4])]],
  maximum: () => [([a, b]) => a.maximum(b), [f64([6]), f64([6])]],
  minimum: () => [([a, b]) => a.minimum(b), [f64([6]), f64([6])]],
  atan2: () => [([a, b]) => a.atan2(b), [f64([4]), pos([4])]],
  neg: () => [([a]) => a.neg(), [f64([4])]],
  exp: () => [([a]) => a.exp(), [f64([4])]],
  log: () => [([a]) => a.log(), [pos([4])]],
  log1p: () => [([a]) => a.log1p(), [pos([4])]],
  sqrt: () => [([a]) => a.sqrt(), [pos([4])]],
  rsqrt: () => [([a]) => a.rsqrt(), [pos([4])]],
  abs: () => [([a]) => a.abs(), [f64([4])]],
  square: () => [([a]) => a.square(), [f64([4])]],
  sin: () => [([a]) => a.sin(), [f64([4])]],
  cos: () => [([a]) => a.cos(), [f64([4])]],
  reciprocal: () => [([a]) => a.reciprocal(), [pos([4])]],
  clamp: () => [([a]) => a.clamp(-0.5, 0.5), [f64([8])]],
  where: () => [([a, b]) => where(a.gt(0), a, b), [f64([6]), f64([6])]],
  relu: () => [([a]) => a.relu(), [f64([8])]],
  // in place on a fresh non-leaf, as after a Linear; the mul(1) makes one
  relu_: () => [([a]) => a.mul(1.5).relu_(), [f64([8])]],
  leakyRelu: () => [([a]) => a.leakyRelu(0.2), [f64([8])]],
  elu: () => [([a]) => a.elu(1), [f64([8])]],
  tanh: () => [([a]) => a.tanh(), [f64([8])]],
  sigmoid: () => [([a]) => a.sigmoid(), [f64([8])]],
  softplus: () => [([a]) => a.softplus(), [f64([8])]],
  logSigmoid: () => [([a]) => a.logSigmoid(), [f64([8])]],
  softmax: () => [([a]) => a.softmax(1), [f64([3, 4])]],
  logSoftmax: () => [([a]) => a.logSoftmax(1), [f64([3, 4])]],
  sum: () => [([a]) => a.sum(), [f64([3, 4])]],
  sumDim: () => [([a]) => a.sum(1, true), [f64([3, 4])]],
  mean: () => [([a]) => a.mean(), [f64([3, 4])]],
  meanDim: () => [([a]) => a.mean([0]), [f64([3, 4])]],
  max: () => [([a]) => a.max(), [f64([3, 4])]],
  maxDim: () => [([a]) => a.max(1).values, [f64([3, 4])]],
  min: () => [([a]) => a.min(), [f64([3, 4])]],
  minDim: () => [([a]) => a.min(0).values, [f64([3, 4])]],
  norm: () => [([a]) => a.norm(), [f64([3, 4])]],
  normDim: () => [([a]) => a.norm(2, 1), [f64([3, 4])]],
  logsumexp: () => [([a]) => a.logsumexp(1), [f64([3, 4])]],
  var: () => [([a]) => a.var(0), [f64([5, 2])]],
  std: () => [([a]) => a.std(0, { unbiased: false }), [f64([5, 2])]],
  prod: () => [([a]) => a.prod(), [f64([4])]],
  cumsum: () => [([a]) => a.cumsum(0), [f64([4])]],
  topk: () => [([a]) => a.topk(2, 1).values, [f64([3, 5])]],
  matmul: () => [([a, b]) => a.matmul(b), [f64([3, 4]), f64([4, 2])]],
  mm: () => [([a, b]) => a.mm(b), [f64([3, 4]), f64([4, 2])]],
  bmm: () => [([a, b]) => a.bmm(b), [f64([2, 3, 4]), f64([2, 4, 2])]],
  linear: () => [([x, w, b]) => F.linear(x, w, b), [f64([3, 4]), f64([2, 4]), f64([2])]],
  cdist: () => [([a, b]) => cdist(a, b), [f64([3, 2]), f64([4, 2])]],
  reshape: () => [([a]) => a.reshape(4, 3).mul(a.reshape(4, 3)), [f64([3, 4])]],
  view: () => [([a]) => a.view(2, 6).square(), [f64([3, 4])]],
  transpose: () => [([a]) => a.transpose(0, 1).square(), [f64([3, 4])]],
  permute: () => [([a]) => a.permute(2, 0, 1).square(), [f64([2, 3, 4])]],
  cat: () => [([a, b]) => cat([a, b], 1).square(), [f64([2, 3]), f64([2, 2])]],
  stack: () => [([a, b]) => stack([a, b], 0).square(), [f64([2, 3]), f64([2, 3])]],
  split: () => [([a]) => a.split(2, 1)[1].square(), [f64([2, 5])]],
  chunk: () => [([a]) => a.chunk(2, 0)[0].square(), [f64([4, 3])]],
  narrow: () => [([a]) => a.narrow(1, 1, 2).square(), [f64([3, 4])]],
  slice: () => [([a]) => a.slice(0, 0, 4, 2).square(), [f64([5, 2])]],
  select: () => [([a]) => a.select(1, 2).square(), [f64([3, 4])]],
  indexSelect: () => [([a]) => a.indexSelect(0, idx([2, 0, 2])).square(), [f64([3, 4])]],
  gather: () => [([a]) => a.gather(1, idx([0, 3, 1, 1, 2, 0]).view(3, 2)).square(), [f64([3, 4])]],
  expand: () => [([a]) => a.expand(3, 4).square(), [f64([1, 4])]],
  flatten: () => [([a]) => a.flatten(1).square(), [f64([2, 3, 2])]],
  repeat: () => [([a]) => a.repeat(2, 3).square(), [f64([2, 2])]],
  squeeze: () => [([a]) => a.squeeze(1).square(), [f64([3, 1])]],
  unsqueeze: () => [([a]) => a.unsqueeze(0).square(), [f64([3])]],
  conv2d: () => [([x, w, b]) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [f64([2, 2, 5, 5]), f64([3, 2, 3, 3]), f64([3])]],
  convTranspose2d: () => [([x, w, b]) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [f64([2, 3, 3, 3]), f64([3, 2, 3, 3]), f64([2])]],
  maxPool2d: () => [([x]) => F.maxPool2d(x, 2), [f64([1, 2, 4, 4])]],
  avgPool2d: () => [([x]) => F.avgPool2d(x, 2), [f64([1, 2, 4, 4])]],
  batchNorm: () => [([x, w, b]) => F.batchNorm(x, { weight: w, bias: b, training: true }), [f64([6, 3]), f64([3]), f64([3])]],
  batchNorm2d: () => [([x, w, b]) => F.batchNorm(x, { weight: w, bias: b, training: true }), [f64([3, 2, 2, 2]), f64([2]), f64([2])]],
  bceWithLogits: () => [([x, y]) => F.bceWithLogits(x, y.sigmoid()), [f64([5]), f64([5])]],
  binaryCrossEntropy: () => [([x]) => F.binaryCrossEntropy(x.sigmoid(), tensor([0, 1, 1, 0], { dtype: 'float64' })), [f64([4])]],
  mseLoss: () => [([a, b]) => F.mseLoss(a, b), [f64([4, 2]), f64([4, 2])]],
  l1Loss: () => [([a, b]) => F.l1Loss(a, b, 'sum'), [f64([4, 2]), f64([4, 2])]],
  crossEntropy: () => [([x]) => F.crossEntropy(x, idx([0, 2, 1])), [f64([3, 4])]],
  nllLoss: () => [([x]) => F.nllLoss(x.logSoftmax(1), idx([3, 2, 1])), [f64([3, 4])]],
};

describe('first-order gradients match finite differences (float64)', () => {
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      const [fn, inputs] = make();
      expect(gradcheck(fn, inputs)).toBeLessThan(1e-6);
    });
  }
});

describe('the check itself can fail', () => {
  it('flags a function whose backward disagrees with its forward', () => {
    // detach() in the middle cuts the graph: the analytic gradient misses a term.
    const err = gradcheck(([a]) => a.mul(a.detach()), [f64([4])]);
    expect(err).toBeGreaterThan(1e-2);
  });
});

describe('backward into chosen inputs', () => {
  it('accumulates only into the inputs given', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.mul(b).sum().backward(undefined, { inputs: [a] });
    expect(a.grad!.toNumbers()).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });
});
