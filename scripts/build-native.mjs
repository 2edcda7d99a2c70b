#!/usr/bin/env node
// Builds native/ (the libtorch binding) with node-gyp against this Node's own headers: the
// machine cannot download headers, and npm 11 no longer honours `nodedir` from npmrc.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findLibtorch } from './find-libtorch.mjs';

try {
  const found = findLibtorch();
  console.log(`gantry: building the libtorch binding against ${found.root} (${found.source}${found.cuda ? ', CUDA' : ''})`);
} catch (e) {
  console.error(`gantry: ${e.message}`);
  process.exit(1);
}

const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : '/usr');
const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '-j', 'max'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
