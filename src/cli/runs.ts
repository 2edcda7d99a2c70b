// `gantry eval` and `gantry sample`: a run folder's final metrics again, and samples of its generator.
import { Command } from 'commander';
import { describeReport } from '../metrics/report.js';
import { manualSeed, scope } from '../torch/index.js';
import { evaluateRun, loadRun } from '../train/load.js';
import { samplesCsv, writeSamplesCsv } from '../train/run-files.js';
import { writeNpy } from '../data/files.js';
import { imageGrid } from '../report/images.js';
import { writePng } from '../report/raster.js';
import { extname } from 'node:path';
import { device, int } from './parsers.js';
import { alarmTable, replayAlarms } from '../bench/alarms.js';

export function addRunCommands(program: Command): void {
  program
    .command('alarms')
    .argument('<root>', 'a folder of finished run folders (a benchmark\'s runs/, say)')
    .description("the collapse alarms' quality: every finished run's metrics replayed through the rules, alarmed runs among those that ended with every mode (false alarms) and with modes missing (caught)")
    .option('--json', 'one JSON line per run instead of the table')
    .action((root, o) => {
      const outcomes = replayAlarms(root);
      if (!outcomes.length) throw new Error(`no finished run with known modes under ${root}: give the folder that holds the run folders (e.g. bench-results/synthetic/runs)`);
      if (o.json) for (const r of outcomes) console.log(JSON.stringify({ ...r, alarms: r.alarms.map((a) => ({ step: a.step, rule: a.rule })) }));
      else console.log(alarmTable(outcomes));
    });

  program
    .command('eval')
    .argument('<run>', 'a run folder written by gantry train')
    .description("recompute a run's final metrics from its checkpoint")
    .option('--device <d>', "cpu, cuda or cuda:N (default: the run's)", device)
    .option('--json', 'machine-readable output')
    .action((dir, o) => {
      const r = evaluateRun(dir, { device: o.device });
      if (o.json) return console.log(JSON.stringify(r));
      console.log(r ? describeReport(r) : 'no known modes');
    });

  program
    .command('sample')
    .argument('<run>', 'a run folder written by gantry train')
    .description("draw samples from a run's generator (its weight average when the run used --ema)")
    .option('--n <n>', 'how many', int('--n'), 64)
    .option('--seed <n>', 'random seed of the latent codes', int('--seed'), 0)
    .option('--out <file>', 'a PNG grid for images, a CSV for points; .npy writes the raw samples (points without --out: CSV on stdout)')
    .option('--device <d>', "cpu, cuda or cuda:N (default: the run's)", device)
    .action((dir, o) => {
      if (o.n < 1) throw new Error('invalid --n: must be at least 1');
      const run = loadRun(dir, { device: o.device });
      // Nothing is written into the run folder unasked: points go to stdout, images need a file.
      if (!o.out && run.data.shape.kind === 'image') throw new Error('invalid options: image samples need --out grid.png (a PNG grid) or --out samples.npy');
      const out: string | undefined = o.out;
      scope(() => {
        manualSeed(o.seed);
        const x = run.method.sample(o.n);
        if (!out) process.stdout.write(samplesCsv(x));
        else if (extname(out).toLowerCase() === '.npy') writeNpy(out, x);
        else if (run.data.shape.kind === 'image') {
          if (extname(out).toLowerCase() !== '.png') throw new Error(`invalid --out ${out}: image samples are written as .png (a grid) or .npy`);
          writePng(out, imageGrid(x, Math.ceil(Math.sqrt(o.n))));
        } else writeSamplesCsv(out, x);
      });
      if (out) console.log(`wrote ${o.n} samples of ${run.config.method} (${dir}) to ${out}`);
    });
}
