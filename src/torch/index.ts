// gantry's tensor layer: `import * as torch from './torch/index.js'` reads like PyTorch.
export * from './tensor.js';
export * from './creation.js';
export * from './autograd.js';
export * from './runtime.js';
export * from './cpu.js';
export * as F from './functional.js';
export * as safetensors from './safetensors.js';
export * from './random.js';
export * as fused from './fused.js';
export * from './disk.js';
