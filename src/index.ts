// gantry as a library (`import { … } from 'gantry'`): the tensor layer, modules and optimizers,
// datasets and their modes, the methods, every metric, training a run into a folder and loading it
// back. The README's "Use gantry as a library" shows it at work (a test runs that example).
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export { loadEvaluator, type EvaluatorDataset } from './evaluator/mnist-cnn.js';
export { familyFor, type Family } from './nets/index.js';
export { METHODS, getMethod, expandVariants, Method, AdversarialMethod, ProtocolSchema, type CriticWrapper, type Losses, type MethodSpec, type Protocol } from './methods/index.js';
export { Trainer, type LoopOptions, type TrainerEvents } from './train/trainer.js';
export { buildRun, disposeRun, RunConfigSchema, type BuildOptions, type Run, type RunConfig, type RunConfigInput } from './train/config.js';
export { resumeDir, trainToDir, type RunHooks, type RunResult } from './train/run.js';
export { evaluateRun, evaluationSamples, loadRun, sampleRun } from './train/load.js';
export { FILES, readMetrics, readRunConfig, type MetricsLine } from './train/run-files.js';
export { benchSynthetic, type SyntheticBenchOptions } from './bench/synthetic.js';
export { benchImages } from './bench/images.js';
