// gantry as a library: the tensor layer, modules, methods, metrics, data and the training loop.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/modes.js';
export { METHODS, getMethod, Method, ProtocolSchema, type MethodSpec, type Protocol } from './methods/index.js';
export { Trainer } from './train/trainer.js';
export { buildRun, RunConfigSchema, type RunConfigInput } from './train/config.js';
export { resumeDir, trainToDir } from './train/run.js';
export { evaluateRun, loadRun, sampleRun } from './train/load.js';
