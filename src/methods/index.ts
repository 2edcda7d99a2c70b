// The registry: method ids as the command line spells them.
import type { MethodSpec } from './base.js';
import { ali } from './ali.js';
import { began } from './began.js';
import { ebgan } from './ebgan.js';
import { gan } from './gan.js';
import { lsgan } from './lsgan.js';
import { nsgan } from './nsgan.js';
import { pacgan } from './pacgan.js';
import { unrolled } from './unrolled.js';
import { veegan } from './veegan.js';
import { wgan } from './wgan.js';
import { wganGp } from './wgan-gp.js';

export * from './base.js';

export const METHODS: Record<string, MethodSpec> = Object.fromEntries(
  [gan, nsgan, lsgan, wgan, wganGp, ebgan, began, unrolled, pacgan, ali, veegan].map((m) => [m.id, m as unknown as MethodSpec]),
);

export function getMethod(id: string): MethodSpec {
  const spec = METHODS[id];
  if (!spec) throw new Error(`unknown method '${id}': choose one of ${Object.keys(METHODS).join(', ')} (gantry methods lists them)`);
  return spec;
}
