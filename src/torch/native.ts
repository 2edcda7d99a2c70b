// Loads the libtorch binding (native/, built by `npm install`). Everything else reaches libtorch
// through the typed API in tensor.ts; this file only finds the addon and says how to build it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque libtorch tensor owned by the binding. */
export type Handle = { readonly __libtorchTensor: unique symbol };

// The binding's functions and their TypeScript signatures, generated from native/*.cc
// (scripts/gen-native-types.mjs): calling an op that does not exist, or with the wrong argument
// types, fails the build.
import type { NativeOps } from './native-ops.js';
export type Native = NativeOps;

/** The folder of gantry's package.json (the addon, models/ and docs/ are found from it). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('gantry: cannot find the package root from ' + import.meta.url);
    dir = up;
  }
  return dir;
}

function load(): Native {
  const path = join(packageRoot(), 'build', 'Release', 'gantry.node');
  if (!existsSync(path)) {
    throw new Error(
      `gantry: the libtorch binding is not built (${path} is missing). ` +
        'Run `bash scripts/setup.sh` (installs libtorch) or `npm install` (builds the binding).',
    );
  }
  // OpenMP threads that find no work spin for GOMP_SPINCOUNT iterations before sleeping. libgomp's
  // default (300,000) makes two gantry processes on one machine slow each other down ~15× (measured:
  // 17 steps/s each against 280 alone); 1,000 keeps each at ~73 % of its alone speed, where sleeping
  // at once (OMP_WAIT_POLICY=PASSIVE) cost ~25 % alone (README, "Threads"). Read by libgomp when it
  // loads, so set before the addon (and libtorch) load; a user's own setting wins.
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.GOMP_SPINCOUNT ??= '1000';
  const native = createRequire(import.meta.url)(path) as Native;
  // Debian's libtorch starts with one intra-op thread; use the machine's cores unless told otherwise.
  const threads = Number(process.env.GANTRY_THREADS ?? availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`gantry: GANTRY_THREADS=${process.env.GANTRY_THREADS} is not a positive integer`);
  }
  native.setNumThreads(threads);
  return native;
}

export const N: Native = load();
