// Bad input becomes a JavaScript Error with libtorch's message; the process goes on.
import { describe, expect, it } from 'vitest';
import { N } from '../../src/torch/native.js';
import { cuda, ones, randn, scope, tensor, zeros } from '../../src/torch/index.js';

describe('libtorch errors become JavaScript errors', () => {
  it('shape mismatch', () => {
    expect(() => randn([3, 4]).matmul(randn([3, 4]))).toThrow(/cannot be multiplied \(3x4 and 3x4\)/);
    expect(() => randn([3]).add(randn([4]))).toThrow(/size of tensor a \(3\) must match/);
  });
  it('wrong dtype', () => {
    expect(() => randn([2, 2]).mm(randn([2, 2], { dtype: 'float64' }))).toThrow(/expected .*(Float|Double)/i);
    expect(() => zeros([2], { dtype: 'float16' as never })).toThrow(/unknown dtype 'float16'/);
  });
  it('wrong device', () => {
    expect(() => zeros([2], { device: 'tpu' as never })).toThrow(/device/i);
    if (cuda.isAvailable()) {
      // Mixing devices in one op is libtorch's error.
      expect(() => ones([2]).add(ones([2], { device: 'cuda' }))).toThrow(/same device/);
    } else {
      expect(() => zeros([2], { device: 'cuda' })).toThrow(/CUDA is not available/);
    }
  });
  it('wrong argument types at the boundary', () => {
    expect(() => N.relu('x')).toThrow(/argument 0 must be a Tensor/);
    expect(() => N.relu(1e9)).toThrow(/argument 0 must be a Tensor/);
    expect(() => N.reshape(randn([4]).h, 'x')).toThrow(/argument 1 must be an array/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
  it('a disposed tensor is an error, not a crash', () => {
    const t = randn([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/disposed/);
    const kept = scope(() => randn([2]));
    expect(kept.add(1).numel()).toBe(2);
  });
  it('the process carries on after every error', () => {
    for (let i = 0; i < 100; i++) expect(() => randn([2, 3]).matmul(randn([2, 3]))).toThrow();
    expect(tensor([1, 2]).add(tensor([3, 4])).toNumbers()).toEqual([4, 6]);
  });
});
