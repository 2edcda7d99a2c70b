import { describe, expect, it } from 'vitest';
import { BatchNorm1d, Linear, Maxout, Sequential, init, mlp, useStream } from '../../src/nn/index.js';
import { manualSeed, noGrad, randn, tensor } from '../../src/torch/index.js';

describe('modules', () => {
  it('Linear computes xWᵀ + b and uses PyTorch default init bounds', () => {
    manualSeed(0);
    const l = new Linear(100, 50);
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...l.weight.toNumbers().map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...l.weight.toNumbers().map(Math.abs))).toBeGreaterThan(0.9 * bound);
    const small = new Linear(2, 1);
    noGrad(() => {
      small.weight.copy_(tensor([[2, -1]]));
      small.bias!.copy_(tensor([0.5]));
    });
    expect(small.forward(tensor([[1, 3]])).toNumbers()).toEqual([-0.5]);
  });
  it('state dict keys follow PyTorch naming', () => {
    const m = mlp(2, [4], 1, { batchNorm: true });
    expect(Object.keys(m.stateDict()).sort()).toEqual(
      ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '3.weight', '3.bias'].sort(),
    );
  });
  it('Maxout is the max over pieces of the affine maps', () => {
    manualSeed(1);
    const m = new Maxout(3, 2, 5);
    const x = randn([4, 3]);
    const all = m.linear.forward(x).view(4, 2, 5).toNumbers();
    const got = m.forward(x).toNumbers();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) expect(got[i * 2 + j]).toBeCloseTo(Math.max(...all.slice((i * 2 + j) * 5, (i * 2 + j + 1) * 5)), 6);
  });
  it('two-stream BatchNorm keeps separate running statistics and shares the affine map', () => {
    const bn = new BatchNorm1d(1, { streams: 2, momentum: 1 });
    useStream(bn, 0);
    bn.forward(tensor([[0], [2]]));
    useStream(bn, 1);
    bn.forward(tensor([[10], [14]]));
    expect(bn.runningMeans[0].toNumbers()).toEqual([1]);
    expect(bn.runningMeans[1].toNumbers()).toEqual([12]);
    expect(bn.parameters().length).toBe(2);
    bn.eval();
    useStream(bn, 1);
    // eval uses stream 1's statistics: (12 − 12)/√(var + ε) = 0
    expect(bn.forward(tensor([[12]])).toNumbers()[0]).toBeCloseTo(0, 6);
  });
  it('train/eval switches BatchNorm between batch and running statistics', () => {
    const m = new Sequential(new BatchNorm1d(1, { momentum: 0 }));
    const x = tensor([[1], [3]]);
    expect(m.forward(x).toNumbers().map((v) => +v.toFixed(4))).toEqual([-1, 1]);
    m.eval();
    expect(m.forward(x).toNumbers().map((v) => +v.toFixed(4))).toEqual([1, 3]);
  });
  it('initialisers reach their target statistics', () => {
    manualSeed(2);
    const w = noGrad(() => randn([400, 300]));
    init.xavierNormal_(w);
    const std = w.std([0, 1]).item();
    expect(std).toBeCloseTo(Math.sqrt(2 / 700), 3);
    init.kaimingNormal_(w, { nonlinearity: 'relu' });
    expect(w.std([0, 1]).item()).toBeCloseTo(Math.sqrt(2 / 300), 3);
  });
  it('loadStateDict with a missing key says which', () => {
    const m = mlp(2, [4], 1);
    expect(() => m.loadStateDict({})).toThrow(/missing keys \[0\.weight/);
  });
});
