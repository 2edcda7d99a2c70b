// One copy of every parameter, and in-place ops under PyTorch's autograd rules.
import { describe, expect, it } from 'vitest';
import { Adam, Linear, SGD, Sequential, parametersOf } from '../../src/nn/index.js';
import { grad, noGrad, scope, tensor } from '../../src/torch/index.js';

describe('shared parameters', () => {
  it('a Linear shared by two networks is one set of parameters, stepped once (SGD lr 1 moves it by −grad)', () => {
    const shared = new Linear(2, 1);
    noGrad(() => {
      shared.weight.copy_(tensor([[1, 2]]));
      shared.bias!.fill_(0);
    });
    const a = new Sequential(shared);
    const both = new Sequential(a, shared);
    expect(both.parameters()).toHaveLength(2);
    expect(both.namedParameters().map(([n]) => n)).toEqual(['0.0.weight', '0.0.bias']);
    const params = parametersOf(a, new Sequential(shared));
    expect(params).toHaveLength(2);
    const opt = new SGD(params, { lr: 1 });
    scope(() => {
      opt.zeroGrad();
      shared.forward(tensor([[3, 4]])).sum().backward(); // ∂/∂w = (3, 4)
      opt.step();
    });
    expect(shared.weight.toNumbers()).toEqual([1 - 3, 2 - 4]);
  });
  it('optimizers refuse a parameter given twice, as torch.optim does', () => {
    const l = new Linear(2, 1);
    expect(() => new Adam([...l.parameters(), l.weight])).toThrow(/more than once/);
  });
});

describe('in-place ops follow autograd', () => {
  it('mul_ and add_ on a non-leaf are recorded: gradients see them', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const [g] = scope(() => {
      const y = x.mul(2);
      y.mul_(3).add_(x, 5); // y = 6x + 5x = 11x
      return grad(y.sum(), x).map((t) => t!.toNumbers());
    });
    expect(g).toEqual([11, 11]);
  });
  it('copy_ into a non-leaf is recorded: the gradient flows to the source, not the overwritten value', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const s = tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    const [gx, gs] = scope(() => {
      const y = x.mul(2);
      y.copy_(s.mul(7));
      return grad(y.sum(), [x, s], { allowUnused: true }).map((t) => t?.toNumbers() ?? null);
    });
    expect(gs).toEqual([7, 7]);
    expect(gx === null || gx.every((v) => v === 0)).toBe(true);
  });
  it('an in-place op on a leaf that requires grad is refused outside noGrad, allowed inside', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.mul_(2)).toThrow(/leaf Variable that requires grad/);
    expect(() => w.add_(tensor([1, 1]))).toThrow(/leaf Variable that requires grad/);
    expect(() => w.copy_(tensor([0, 0]))).toThrow(/leaf Variable that requires grad/);
    noGrad(() => w.mul_(2));
    expect(w.toNumbers()).toEqual([2, 4]);
  });
  it('overwriting a value that backward needs fails at backward(), never silently', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() =>
      scope(() => {
        const y = x.sigmoid(); // sigmoid's backward reads its output
        y.mul_(2);
        y.sum().backward();
      }),
    ).toThrow(/modified by an inplace operation/);
  });
});
