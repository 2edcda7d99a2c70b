// Every metric, each taking features, samples or a generator passed in (docs/PROTOCOLS.md has the
// definitions): modes and high quality on mixtures, digit modes and KL on MNIST-family images,
// FID/KID, precision/recall, density/coverage, IS and the MODE score, IvOM, the noisy discriminator.
export * from './modes.js';
export * from './digits.js';
export * from './evaluate.js';
export * from './features.js';
export * from './fid.js';
export * from './prdc.js';
export * from './scores.js';
export * from './ivom.js';
export * from './noisy-d.js';
export * from './image-metrics.js';
export * from './point-files.js';
export * from './report.js';
