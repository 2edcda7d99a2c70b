// `gantry eval-samples`: the mode metrics of any generator's points against known modes.
import type { Command } from 'commander';
import { scorePointFiles } from '../metrics/point-files.js';
import { useDevice } from '../torch/index.js';
import { device, list, num } from './parsers.js';

export function addEvalSamples(program: Command): void {
  program
    .command('eval-samples')
    .description('mode metrics of a sample file against known modes')
    .requiredOption('--samples <file>', 'generated points (.csv or .npy)')
    .requiredOption('--modes <file>', 'mode centres (.csv or .npy)')
    .requiredOption('--sigma <s>', 'σ: one number, one per mode (comma-separated), or a file')
    .option('--threshold <k>', 'high quality = within k·σ (default 3 for 2D, 10 above)', num('--threshold'))
    .option('--weights <w>', 'true mode weights, comma-separated (default uniform)')
    .option('--device <d>', 'cpu, cuda or cuda:N', device, 'cpu')
    .option('--json', 'machine-readable output')
    .action((o) => {
      useDevice(o.device);
      const r = scorePointFiles({ samples: o.samples, modes: o.modes, sigma: o.sigma, threshold: o.threshold, weights: o.weights ? list(o.weights).map(Number) : undefined });
      if (o.json) return console.log(JSON.stringify(r));
      console.log(`${r.modes}/${r.modes_max} modes, ${(100 * r.high_quality).toFixed(1)}% high quality, reverse KL ${r.reverse_kl?.toFixed(3) ?? 'n/a'} (n = ${r.n})`);
    });
}
