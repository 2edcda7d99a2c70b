// `gantry data export`: the pinned mixtures as files.
import { Command } from 'commander';
import { MIXTURES, loadDataset } from '../data/index.js';
import { manualSeed, scope } from '../torch/index.js';
import { writeSamplesCsv } from '../train/run-files.js';
import { writeNpy } from '../data/files.js';
import { extname } from 'node:path';
import { int } from './parsers.js';

export function addDataCommands(program: Command): void {
  const dataCmd = program.command('data').description('the pinned synthetic datasets as files, for your own tools and for eval-samples');

  dataCmd
    .command('export')
    .argument('<dataset>', `a pinned mixture: ${MIXTURES.join(', ')}`)
    .option('--modes <file>', 'write the mode centres (.csv, or .npy by extension)')
    .option('--samples <file>', 'write samples from the mixture (.csv, or .npy)')
    .option('--n <n>', 'how many samples', int('--n'), 2500)
    .option('--seed <n>', 'random seed of the samples', int('--seed'), 0)
    .action((name: string, o) => {
      if (!(MIXTURES as readonly string[]).includes(name)) throw new Error(`invalid dataset '${name}': choose one of ${MIXTURES.join(', ')}`);
      if (!o.modes && !o.samples) throw new Error('invalid options: give --modes <file>, --samples <file>, or both');
      if (o.n < 1) throw new Error('invalid --n: must be at least 1');
      const d = loadDataset({ name: name as 'ring' });
      const write = (path: string, t: Parameters<typeof writeNpy>[1]) => (extname(path).toLowerCase() === '.npy' ? writeNpy(path, t) : writeSamplesCsv(path, t));
      scope(() => {
        if (o.modes) write(o.modes, d.target!.means);
        if (o.samples) {
          manualSeed(o.seed);
          write(o.samples, d.sampler.sample(o.n));
        }
      });
      const sigmas = [...new Set(d.target!.sigmas)];
      console.log(
        `${name}: ${d.target!.means.shape[0]} modes in ${d.target!.means.shape[1]} dimensions, σ = ${sigmas.join(', ')}, high quality within ${d.target!.threshold}σ` +
          (o.modes ? `; wrote ${o.modes}` : '') +
          (o.samples ? `; wrote ${o.n} samples to ${o.samples}` : '') +
          (o.modes ? `\nScore samples against it: gantry eval-samples --samples points.csv --modes ${o.modes} --sigma ${sigmas.join(',')} --threshold ${d.target!.threshold}` : ''),
      );
    });

}
