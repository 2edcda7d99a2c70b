// The CPU a benchmark reading names, and the FLOPs perf:engine counts from layer shapes.
import { describe, expect, it } from 'vitest';
import { cpuKind } from '../../src/torch/cpu.js';
import { ConvTranspose2d, Conv2d, Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { layerFlops } from '../../perf/workloads.js';

const entry = (flags: string, family = 25, model = 1) =>
  `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: ${family}\nmodel\t\t: ${model}\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 ${flags}\n`;

describe('cpuKind', () => {
  it('reads the model, the family/model numbers, the widest vector instructions and the cores', () => {
    const zen3 = cpuKind([entry('avx avx2 fma'), entry('avx avx2 fma')].join('\n'));
    expect(zen3).toMatchObject({ model: 'AMD EPYC', family: 25, modelNumber: 1, vector: 'AVX2', cores: 2 });
    expect(zen3.label).toBe('AMD EPYC (family 25 model 1, AVX2, 2 cores)');
    const zen4 = cpuKind(entry('avx avx2 avx512f avx512bw', 25, 17));
    expect(zen4.vector).toBe('AVX-512');
    expect(zen4.label).toBe('AMD EPYC (family 25 model 17, AVX-512, 1 core)');
  });
  it('says what it cannot read rather than guessing', () => {
    const k = cpuKind('processor\t: 0\nmodel name\t: Some CPU\n');
    expect(k).toMatchObject({ model: 'Some CPU', family: null, modelNumber: null, vector: 'unknown' });
    expect(k.label).toBe('Some CPU (unknown, 1 core)');
  });
});

describe('layerFlops', () => {
  it('counts 2 × multiply-adds of linear, convolution and transposed convolution layers, worked by hand', () => {
    // 4 → 6 linear: 48 FLOPs. Conv 3×3 stride 2, 1 → 2 channels on 6×6 (padding 1): 3×3 outputs × 2 channels × 9 taps × 1 input channel × 2 = 324.
    // Transposed conv 3×3 stride 2, 2 → 1 channels on 3×3: every input value (2 × 3 × 3) gives 1 × 9 multiply-adds: 324.
    const net = new Sequential(new Linear(4, 36), ReLU());
    expect(layerFlops(net, [4])).toEqual([2 * 4 * 36]);
    const conv = new Sequential(new Conv2d(1, 2, 3, { stride: 2, padding: 1 }), new ConvTranspose2d(2, 1, 3, { stride: 2, padding: 1 }));
    expect(layerFlops(conv, [1, 6, 6])).toEqual([2 * 3 * 3 * 2 * 9, 2 * 2 * 3 * 3 * 9]);
  });
});
