// `gantry doctor` and `gantry methods`: what the engine runs on, and what it can train.
import { Command } from 'commander';
import { METHODS } from '../methods/index.js';
import { engineInfo } from '../torch/index.js';

export function addInfoCommands(program: Command): void {
  program
    .command('doctor')
    .description('what the engine runs on: libtorch version, CPU, BLAS, threads, devices')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const info = engineInfo();
      if (o.json) return console.log(JSON.stringify(info));
      console.log(`libtorch ${info.libtorch}`);
      console.log(`CPU      ${info.cpu}`);
      console.log(`BLAS     ${info.blas}${info.blasLibraries.length ? ` (${info.blasLibraries.join(', ')})` : ''}`);
      console.log(`threads  ${info.threads} (set GANTRY_THREADS to change)`);
      console.log(`memory   ${info.cpuCacheMb ? `caching CPU allocator, keeps up to ${info.cpuCacheMb} MiB (GANTRY_CPU_CACHE_MB)` : "libtorch's CPU allocator (GANTRY_CPU_CACHE_MB=0)"}`);
      console.log(`device   ${info.cuda ? `cuda (${info.cudaDevices} GPU${info.cudaDevices > 1 ? 's' : ''}) and cpu` : 'cpu (this libtorch has no CUDA, or no GPU is visible)'}`);
    });

  program
    .command('methods')
    .description('list the methods and their hyperparameters with defaults')
    .option('--json', 'machine-readable output')
    .action((o) => {
      // Options without a fixed default (the lens's K follows the budget) show as "auto".
      const rows = Object.values(METHODS).map((m) => ({
        id: m.id,
        title: m.title,
        source: m.source,
        options: { ...Object.fromEntries(Object.keys(m.options.shape).map((k) => [k, 'auto'])), ...m.options.parse({}) },
      }));
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      for (const r of rows) {
        const opts = Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(' ');
        console.log(`${r.id.padEnd(13)} ${r.title}${opts ? `  [--opt ${opts}]` : ''}\n              ${r.source}`);
      }
      console.log('\nShared protocol (every method): --hidden 128,128 --latent-dim 2 (256 for images) --batch-size 500 --lr 1e-3 --beta1 0.5 --instance-noise 0');
    });
}
