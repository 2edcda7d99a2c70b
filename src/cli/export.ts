// `gantry export tensorboard runs/x`: a run's curves and sample grids as TensorBoard event files.
import type { Command } from 'commander';
import { exportTensorboard } from '../export/tensorboard.js';

export function addExportCommands(program: Command): void {
  program
    .command('export')
    .description("a run in another tool's format")
    .command('tensorboard')
    .argument('<run>', 'a run folder written by gantry train')
    .option('--out <dir>', 'where the event file goes (default: <run>/tensorboard); then: tensorboard --logdir <dir>')
    .action((dir: string, o: { out?: string }) => {
      const r = exportTensorboard(dir, o.out);
      console.log(`wrote ${r.file}: ${r.scalars} scalars and ${r.images} images; view with: tensorboard --logdir ${o.out ?? `${dir}/tensorboard`}`);
    });
}
