// Network families by name; `auto` picks the MLP family for points and small-d ¼G for images.
import type { DataShape } from '../data/shape.js';
import { DCGAN_SPECS, DcganFamily } from './dcgan.js';
import type { Family } from './family.js';
import { MLPFamily } from './mlp.js';

export * from './family.js';
export { DCGAN_SPECS, DcganFamily, type DcganSpec } from './dcgan.js';
export { MLPFamily } from './mlp.js';

export const NETWORKS = ['auto', 'mlp', ...Object.keys(DCGAN_SPECS)] as const;

export function familyFor(shape: DataShape, name: string, hidden: readonly number[]): Family {
  const chosen = name === 'auto' ? (shape.kind === 'points' ? 'mlp' : 'small-d-quarter') : name;
  if (chosen === 'mlp') return MLPFamily.for(shape, hidden);
  const spec = DCGAN_SPECS[chosen];
  if (!spec) throw new Error(`unknown network family '${name}': choose one of ${NETWORKS.join(', ')}`);
  return DcganFamily.for(shape, spec);
}
