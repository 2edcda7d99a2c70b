#!/usr/bin/env node
// The `gantry` command. Every failure prints one line naming the problem and the fix, and exits
// non-zero; files already written stay as they were (checkpoints are written atomically).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { DATASETS, DataFileError, MIXTURES, loadDataset, loadFashionMnist, loadMnist, readPoints, parseSigma } from '../data/index.js';
import { LENS_BASES, METHODS } from '../methods/index.js';
import { NETWORKS } from '../nets/index.js';
import { modeMetrics } from '../metrics/modes.js';
import { describeReport } from '../metrics/report.js';
import { benchSynthetic, summarize } from '../bench/synthetic.js';
import { benchImages } from '../bench/images.js';
import { benchGradients } from '../bench/gradients.js';
import { benchModeGrid } from '../bench/mode-grid.js';
import { engineInfo, keep, manualSeed, scope, tensor, useDevice, watchSignals } from '../torch/index.js';
import { resumeDir, trainToDir, type RunHooks, type RunResult } from '../train/run.js';
import { evaluatorPaths, trainEvaluator } from '../evaluator/mnist-cnn.js';
import { PRESETS } from '../train/presets.js';
import { evaluateRun, loadRun } from '../train/load.js';
import { FILES, writeSamplesCsv } from '../train/run-files.js';
import { writeNpy } from '../data/files.js';
import { imageGrid } from '../report/images.js';
import { writePng } from '../report/raster.js';
import { extname, join } from 'node:path';
import { attachProgress } from './progress.js';
import { benchDevice, betas, device, int, kv, list, num } from './parsers.js';
import { addEvalImages, parseMetrics } from './eval-images.js';
import { USER_POINTS_DEFAULTS, trainConfig } from './train-config.js';
import { kebab } from '../train/errors.js';
import { BenchStopped } from '../sweep/pool.js';

const program = new Command('gantry')
  .description('Train GANs that do not collapse, and measure how much they collapse (libtorch from TypeScript).')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('doctor')
  .description('what the engine runs on: libtorch version, BLAS, threads, devices')
  .option('--json', 'machine-readable output')
  .action((o) => {
    const info = engineInfo();
    if (o.json) return console.log(JSON.stringify(info));
    console.log(`libtorch ${info.libtorch}`);
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

program
  .command('train')
  .description('train one method on one dataset and write a run folder')
  .option('--config <file>', "settings from a YAML or JSON file in config.json's shape (flags given win); a run's config.json reruns it")
  .option('--method <id>', `one of ${Object.keys(METHODS).join(', ')} (required, unless --resume; with --data: ${USER_POINTS_DEFAULTS.method} ${Object.entries(USER_POINTS_DEFAULTS.methodOptions).map(([k, v]) => `${k}=${v}`).join(' ')}, EMA ${USER_POINTS_DEFAULTS.protocol.ema}, ${USER_POINTS_DEFAULTS.steps} steps unless given)`)
  .addOption(new Option('--dataset <name>', 'a pinned synthetic mixture or an MNIST-family image set').choices([...DATASETS]).default('ring'))
  .addOption(new Option('--preset <name>', 'an image protocol: networks, optimizers, batch, prior, budget (explicit flags win)').choices(Object.keys(PRESETS)))
  .option('--images <dir>', 'your own images: a folder of PNG/JPEG files')
  .option('--image-size <n>', 'resize --images to n × n (default 32); MNIST-family sets: 28, or 32 with the digits padded (the lens preset\'s default)', int('--image-size'))
  .addOption(new Option('--channels <c>', 'channels of --images (default 3)').choices(['1', '3']))
  .option('--cifar10 <path>', "CIFAR-10's binary batches (a folder with data_batch_N.bin, or one file)")
  .option('--fixed-triples <n>', 'Stacked-MNIST from a fixed set of n triples (the veegan preset: 128000)', int('--fixed-triples'))
  .option('--confidence <p>', "the counting classifier's top probability for the confident-mode count", num('--confidence'))
  .option('--data <file>', "your own points (.csv or .npy) instead of --dataset")
  .option('--modes <file>', 'mode centres of your data (.csv or .npy), for the mode metrics')
  .option('--sigma <s>', 'σ of your modes: one number, one per mode (comma-separated), or a file')
  .option('--threshold <k>', 'high quality = within k·σ of the nearest mode (3 for 2D, 10 for 1200-D)', num('--threshold'))
  .option('--steps <n>', "generator steps (default 5000, or the preset's budget)", int('--steps'))
  .option('--seed <n>', 'random seed', int('--seed'), 1)
  .option('--out <dir>', 'run folder (default: runs/<method>-<dataset>-seed<seed>)', '')
  .option('--resume <dir>', 'continue a stopped or killed run from its last checkpoint (its config.json gives every setting)')
  .option('--overwrite', 'replace the run folder --out if it holds a run')
  .addOption(new Option('--on-diverge <what>', 'when losses turn NaN/Inf: stop, or roll back to the last checkpoint and retry at half the learning rates').choices(['stop', 'lower-lr']).default('stop'))
  .option('--diverge-retries <n>', 'at most n roll-backs with --on-diverge lower-lr', int('--diverge-retries'), 3)
  .option('--device <d>', "where the run's tensors live: cpu, cuda or cuda:N (default cpu); with --resume, continue on another device", device)
  .option('--threads <n>', "libtorch threads (default: GANTRY_THREADS, else the machine's cores; a config file's count when given)", int('--threads'))
  .option('--log-every <n>', 'losses and gradient norms to metrics.jsonl every n steps (0: only at evaluations)', int('--log-every'), 100)
  .option('--eval-every <n>', 'evaluate the mode metrics every n steps (default 1000, or the preset)', int('--eval-every'))
  .option('--eval-samples <n>', 'samples per evaluation (default 2500, or the preset)', int('--eval-samples'))
  .option('--checkpoint-every <n>', 'checkpoint every n steps', int('--checkpoint-every'), 5000)
  .option('--hidden <widths>', 'hidden widths of every MLP, e.g. 128,128')
  .option('--latent-dim <n>', 'latent size', int('--latent-dim'))
  .option('--batch-size <n>', 'batch size', int('--batch-size'))
  .option('--lr <lr>', 'Adam learning rate of the protocol', num('--lr'))
  .option('--beta1 <b>', 'Adam β1', num('--beta1'))
  .option('--lr-g <lr>', "G's learning rate (default --lr)", num('--lr-g'))
  .option('--lr-d <lr>', "D's learning rate (default --lr)", num('--lr-d'))
  .option('--betas-g <b1,b2>', "G's Adam betas, e.g. 0.5,0.99 (default --beta1 and 0.999)", betas('--betas-g'))
  .option('--betas-d <b1,b2>', "D's Adam betas", betas('--betas-d'))
  .option('--g-steps <n>', 'generator updates per discriminator update', int('--g-steps'))
  .addOption(new Option('--prior <dist>', 'latent prior').choices(['normal', 'uniform']))
  .addOption(new Option('--nets <family>', 'network family (auto: MLP for points, small-d ¼G for images)').choices([...NETWORKS]))
  .option('--ema <decay>', "sample from an exponential moving average of G's weights (e.g. 0.999)", num('--ema'))
  .option('--instance-noise <sigma>', 'instance noise σ on D inputs, annealed to 0', num('--instance-noise'))
  .option('--instance-noise-steps <n>', 'steps over which instance noise anneals', int('--instance-noise-steps'))
  .option('--opt <key=value>', 'a method hyperparameter (repeatable), see `gantry methods`', kv)
  .option('--lens', `a Tempered Adversarial Networks lens in front of D (on ${LENS_BASES.join(', ')}; the same as --method lens-<id>; its K: --opt K=10000)`)
  .option('--json', 'print final.json instead of a summary')
  .option('--quiet', 'no progress bar')
  .action((o, cmd: Command) => {
    if (o.resume) {
      const given = cmd.options.map((opt) => opt.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !['resume', 'quiet', 'json', 'device'].includes(k));
      if (given.length) throw new Error(`invalid --resume: the run's settings come from ${o.resume}/config.json; leave out ${given.map((k) => '--' + kebab(k)).join(', ')}`);
      return trainCommand(o, (hooks) => resumeDir(o.resume, hooks, { device: o.device }), o.resume);
    }
    const { config, describe } = trainConfig(o, cmd);
    const ds = config.dataset ?? {};
    const source = ds.images ? 'images' : ds.cifar10 ? 'cifar10' : ds.data ? 'data' : (ds.name ?? 'ring');
    const out = o.out || `runs/${config.method}-${source}-seed${config.seed ?? 1}`;
    claimRunFolder(out, o.overwrite);
    trainCommand(o, (hooks) => trainToDir(config, out, { ...hooks, describe }), out);
  });

/**
 * A run folder for a new run: a new or empty folder, or, with --overwrite, one that holds a run
 * (removed first, so no stale file of the old run stays). Anything else is refused.
 */
function claimRunFolder(out: string, overwrite: boolean): void {
  if (!existsSync(out) || readdirSync(out).length === 0) return;
  if (!existsSync(join(out, FILES.config))) throw new Error(`invalid --out ${out}: the folder is not empty and holds no run; choose another --out`);
  if (!overwrite) throw new Error(`invalid --out ${out}: it holds a run already; continue it with gantry train --resume ${out}, or replace it with --overwrite`);
  rmSync(out, { recursive: true });
}

/** Trains (or resumes) with the progress bar, stops cleanly on Ctrl-C or SIGTERM, prints the outcome. */
function trainCommand(o: { quiet?: boolean; json?: boolean }, train: (hooks: RunHooks) => RunResult, dir: string): void {
  let close = () => {};
  watchSignals(true);
  let result: RunResult;
  try {
    result = train({
      observe: o.quiet || o.json ? undefined : (run) => (close = attachProgress(run)),
      log: (s) => console.error(`gantry: ${s}`),
    });
  } finally {
    close();
    watchSignals(false);
  }
  if (result.stopped) {
    console.error(`gantry: stopped at step ${result.steps} (${result.stopped}); the checkpoint is saved. Continue with: gantry train --resume ${dir}`);
    process.exitCode = result.stopped === 'SIGTERM' ? 143 : 130;
    return;
  }
  if (o.json) return console.log(JSON.stringify(JSON.parse(readFileSync(join(dir, FILES.final), 'utf8'))));
  const r = result.report;
  const method = (JSON.parse(readFileSync(join(dir, FILES.config), 'utf8')) as { method: string }).method;
  console.log(r ? `${method}: ${describeReport(r)}` : `${method}: trained (no known modes, so no mode metrics)`);
  console.log(`${result.stepsPerSecond.toFixed(0)} steps/s; wrote ${dir}/ (${readdirSync(dir).join(', ')})`);
}

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
  .option('--out <file>', 'a PNG grid for images, a CSV for points; .npy writes the raw samples', '')
  .option('--device <d>', "cpu, cuda or cuda:N (default: the run's)", device)
  .action((dir, o) => {
    if (o.n < 1) throw new Error('invalid --n: must be at least 1');
    const run = loadRun(dir, { device: o.device });
    const out = o.out || join(dir, run.data.shape.kind === 'image' ? 'sample.png' : 'sample.csv');
    scope(() => {
      manualSeed(o.seed);
      const x = run.method.sample(o.n);
      if (extname(out).toLowerCase() === '.npy') writeNpy(out, x);
      else if (run.data.shape.kind === 'image') {
        if (extname(out).toLowerCase() !== '.png') throw new Error(`invalid --out ${out}: image samples are written as .png (a grid) or .npy`);
        writePng(out, imageGrid(x, Math.ceil(Math.sqrt(o.n))));
      } else writeSamplesCsv(out, x);
    });
    console.log(`wrote ${o.n} samples of ${run.config.method} (${dir}) to ${out}`);
  });

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
    const means = readPoints(o.modes);
    const samples = readPoints(o.samples, { dim: means[0].length });
    const sigma = parseSigma(o.sigma, means.length);
    const weights = o.weights ? list(o.weights).map(Number) : new Array(means.length).fill(1);
    if (weights.length !== means.length || weights.some((w: number) => !(w >= 0))) {
      throw new DataFileError(`--weights: need ${means.length} non-negative numbers, one per mode`);
    }
    const total = weights.reduce((a: number, b: number) => a + b, 0);
    if (!(total > 0)) throw new DataFileError('--weights: at least one mode weight must be positive');
    if (o.threshold !== undefined && !(o.threshold > 0)) throw new Error(`invalid --threshold: must be > 0 (in units of σ), got ${o.threshold}`);
    const r = scope(() =>
      modeMetrics(tensor(samples), {
        means: keep(tensor(means)),
        sigmas: typeof sigma === 'number' ? new Array(means.length).fill(sigma) : sigma,
        threshold: o.threshold ?? (means[0].length <= 2 ? 3 : 10),
        weights: weights.map((w: number) => w / total),
      }),
    );
    if (o.json) return console.log(JSON.stringify(r));
    console.log(`${r.modes}/${r.modes_max} modes, ${(100 * r.high_quality).toFixed(1)}% high quality, reverse KL ${r.reverse_kl?.toFixed(3) ?? 'n/a'} (n = ${r.n})`);
  });

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

addEvalImages(program);

const evaluator = program.command('evaluator').description('the classifier that counts modes and gives the MNIST-family features');
evaluator
  .command('train')
  .description("train PacGAN's MNIST CNN deterministically and write models/<dataset>-cnn.safetensors with its hash")
  .addOption(new Option('--dataset <name>', 'training data').choices(['mnist', 'fashion-mnist']).default('mnist'))
  .option('--epochs <n>', 'passes over the 60,000 training images', int('--epochs'), 10)
  .option('--seed <n>', 'random seed (initialisation, shuffling, dropout)', int('--seed'), 1)
  .option('--batch-size <n>', 'minibatch size', int('--batch-size'), 128)
  .option('--out <dir>', 'folder for the weights and record (default: the package models/ folder)')
  .action((o) => {
    if (o.epochs < 1 || o.batchSize < 1) throw new Error('invalid options: --epochs and --batch-size must be at least 1');
    const load = o.dataset === 'mnist' ? loadMnist : loadFashionMnist;
    const rec = trainEvaluator({ dataset: o.dataset, train: load('train'), test: load('test'), epochs: o.epochs, seed: o.seed, batchSize: o.batchSize, dir: o.out, log: (s) => console.log(s) });
    console.log(`${o.dataset} evaluator: ${(100 * rec.test_accuracy).toFixed(2)}% test accuracy, sha256 ${rec.sha256}, ${rec.seconds} s; wrote ${evaluatorPaths(o.dataset, o.out).weights}`);
  });

const bench = program.command('bench').description('benchmarks that rerun the papers under one pinned protocol');
bench
  .command('synthetic')
  .description("VEEGAN's Table 1 with our reruns: methods × datasets × seeds, mean ± std")
  .option('--methods <ids>', 'comma-separated method ids; a variant fixes hyperparameters (wgan-gp:lambda=10:lr=0.001), and | gives one row per value (reg-gan:lambda1=0|0.2:lambda2=0|0.4)', list, Object.keys(METHODS))
  .option('--datasets <names>', 'comma-separated: ring, grid, highdim', list, [...MIXTURES])
  .option('--seeds <n>', 'seeds per cell', int('--seeds'), 5)
  .option('--steps <n>', 'generator steps per run (the pinned budget)', int('--steps'), 20000)
  .option('--highdim-steps <n>', 'steps for the 1200-D set (default: --steps)', int('--highdim-steps'))
  .option('--workers <n>', 'parallel training processes', int('--workers'), 2)
  .option('--ema <decay>', "every method samples from a weight average of G (e.g. 0.999); off by default", num('--ema'))
  .addOption(benchDevice())
  .option('--out <dir>', 'where runs, table.md, table.json and density-grid.png go', 'bench-results/synthetic')
  .option('--resume', 'keep the finished runs in --out and continue the stopped ones (after Ctrl-C, SIGTERM or a crash)')
  .option('--quick', 'the README main job: collapse and its cure; nsgan and wgan-gp (λ = 10, lr 1e-3) on the ring (1,000 steps) and the 1200-D mixture (600 steps), 2 seeds')
  .option('--json', 'print table.json rows instead of the markdown table')
  .action(async (o) => {
    if (o.quick) Object.assign(o, { methods: ['nsgan', 'wgan-gp:lambda=10:lr=0.001'], datasets: ['ring', 'highdim'], seeds: 2, steps: 1000, highdimSteps: 600 });
    for (const d of o.datasets) if (!(MIXTURES as readonly string[]).includes(d)) throw new Error(`unknown dataset '${d}': choose from ${MIXTURES.join(', ')} (images: gantry bench images)`);
    for (const k of ['seeds', 'workers', 'steps', 'highdimSteps'] as const) {
      if (o[k] !== undefined && o[k] < 1) throw new Error(`invalid --${kebab(k)}: must be at least 1, got ${o[k]}`);
    }
    const opts = {
      methods: o.methods,
      datasets: o.datasets,
      seeds: o.seeds,
      steps: o.steps,
      out: o.out,
      workers: o.workers,
      resume: o.resume,
      stepsFor: o.highdimSteps ? { highdim: o.highdimSteps } : undefined,
      protocol: (o.ema !== undefined ? { ema: o.ema } : {}) as Record<string, number>,
      device: o.device,
    };
    const cells = await benchSynthetic(opts, o.json ? () => {} : (s) => console.log(s));
    if (o.json) console.log(JSON.stringify(cells.map(summarize)));
    else console.log(`\nWrote ${o.out}/table.md, table.json, density-grid.png and one run folder per job under ${o.out}/runs/.`);
  });

bench
  .command('images')
  .description('Stacked-MNIST (or another MNIST-family set): methods × seeds under an image preset, with the real-data row')
  .option('--methods <ids>', 'comma-separated method ids or variants (pacgan:packing=4); | gives one row per value (pacgan:packing=2|3|4)', list, ['gan', 'nsgan', 'pacgan', 'wgan-gp'])
  .addOption(new Option('--dataset <name>', 'image dataset with digit modes').choices(['stacked-mnist', 'color-mnist', 'compositional-mnist', 'mnist']).default('stacked-mnist'))
  .addOption(new Option('--preset <name>', 'image protocol').choices(Object.keys(PRESETS)).default('small-d-quarter'))
  .option('--seeds <n>', 'seeds per method', int('--seeds'), 3)
  .option('--steps <n>', "generator iterations per run (default: the preset's published budget)", int('--steps'))
  .option('--samples <n>', "samples counted per evaluation (default: the preset's)", int('--samples'))
  .option('--evaluations <n>', 'evaluations during training, for the modes-vs-iterations plot', int('--evaluations'), 4)
  .option('--workers <n>', 'parallel training processes', int('--workers'), 2)
  .option('--metrics <list>', "image metrics of every run's generator: comma-separated from fid, kid, pr, dc, is, mode, or none", (v: string) => (v === 'none' ? [] : parseMetrics(v)), ['fid', 'kid', 'pr', 'dc', 'is', 'mode'])
  .option('--metric-samples <n>', 'samples per run for those metrics (at most --samples)', int('--metric-samples'), 10000)
  .addOption(new Option('--nets <family>', "networks instead of the preset's (its optimizers, batch and prior stay)").choices(['small-d-quarter', 'small-d-half', 'veegan', 'lens']))
  .addOption(benchDevice())
  .option('--out <dir>', 'where runs, table.md, table.json and the figures go', 'bench-results/images')
  .option('--resume', 'keep the finished runs in --out and continue the stopped ones (after Ctrl-C, SIGTERM or a crash)')
  .option('--json', 'print table.json instead of the markdown table')
  .action(async (o) => {
    if (o.seeds < 1 || o.workers < 1 || o.steps === 0 || o.samples === 0) throw new Error('invalid options: --seeds, --workers, --steps and --samples must be at least 1');
    if (o.metrics.some((m: string) => m === 'ivom' || m === 'noisy-d' || m === 'modes')) throw new Error('invalid --metrics: the bench computes fid, kid, pr, dc, is, mode (modes are always counted; ivom and noisy-d: gantry eval-images --run)');
    if (o.metricSamples < 2) throw new Error('invalid --metric-samples: need at least 2');
    const opts = { methods: o.methods, dataset: o.dataset, preset: o.preset, seeds: o.seeds, steps: o.steps, samples: o.samples, evaluations: o.evaluations, out: o.out, workers: o.workers, metrics: o.metrics, metricSamples: o.metricSamples, nets: o.nets, resume: o.resume, device: o.device };
    await benchImages(opts, o.json ? () => {} : (s) => console.log(s));
    if (o.json) console.log(readFileSync(join(o.out, 'table.json'), 'utf8'));
    else console.log(`\nWrote ${o.out}/table.md, table.json, samples-mosaic.png, modes-vs-iterations.png and one run folder per job under ${o.out}/runs/.`);
  });

bench
  .command('gradients')
  .description('the gradient experiment of papers/003 (after Arjovsky & Bottou): G frozen, D trained from scratch, ‖∇G‖ under minimax, non-saturating and WGAN-GP losses')
  .addOption(new Option('--dataset <name>', 'data').choices([...DATASETS]).default('ring'))
  .option('--stages <list>', "G's nsgan training steps before it is frozen, one experiment each", '0,500,5000')
  .option('--d-steps <n>', 'discriminator steps (checkpoints at 1, 2, 5, 10, …)', int('--d-steps'), 2000)
  .option('--runs <n>', 'discriminators trained from scratch per stage (mean ± std)', int('--runs'), 10)
  .option('--seed <n>', 'random seed', int('--seed'), 1)
  .addOption(new Option('--nets <family>', 'network family').choices([...NETWORKS]))
  .addOption(benchDevice())
  .option('--out <dir>', 'where gradients.json and gradients.png go', 'bench-results/gradients')
  .action((o) => {
    const stages = list(o.stages).map(Number);
    if (stages.some((s: number) => !Number.isInteger(s) || s < 0)) throw new Error(`invalid --stages: whole numbers ≥ 0, got '${o.stages}'`);
    if (o.dSteps < 1 || o.runs < 1) throw new Error('invalid options: --d-steps and --runs must be at least 1');
    benchGradients({ dataset: o.dataset, stages, dSteps: o.dSteps, runs: o.runs, seed: o.seed, out: o.out, nets: o.nets, device: o.device }, (s) => console.log(s));
    console.log(`\nWrote ${o.out}/gradients.json and gradients.png.`);
  });

bench
  .command('mode-grid')
  .description("Mode-regularized GAN's Figure 3: MODE scores over a grid of 24 hyperparameter settings (learning rate × β1 × networks × batch), with and without the regularizers, as a histogram")
  .option('--methods <ids>', 'methods or variants trained on every setting, same seed (the baseline first)', list, ['nsgan', 'reg-gan'])
  .addOption(new Option('--dataset <name>', 'image dataset').choices(['mnist', 'stacked-mnist']).default('mnist'))
  .option('--steps <n>', 'generator iterations per run', int('--steps'), 1000)
  .option('--seed <n>', 'the seed of every run', int('--seed'), 1)
  .option('--samples <n>', 'samples per MODE score', int('--samples'), 10000)
  .option('--settings <n>', 'only the first n of the 24 settings', int('--settings'))
  .option('--workers <n>', 'parallel training processes', int('--workers'), 2)
  .addOption(benchDevice())
  .option('--out <dir>', 'where runs, table.md, table.json and mode-histogram.png go', 'bench-results/mode-grid')
  .option('--resume', 'keep the finished runs in --out and continue the stopped ones (after Ctrl-C, SIGTERM or a crash)')
  .action(async (o) => {
    if (o.steps < 1 || o.workers < 1 || o.samples < 2) throw new Error('invalid options: --steps and --workers must be at least 1, --samples at least 2');
    if (o.settings !== undefined && (o.settings < 1 || o.settings > 24)) throw new Error(`invalid --settings: 1 to 24, got ${o.settings}`);
    await benchModeGrid({ methods: o.methods, dataset: o.dataset, steps: o.steps, seed: o.seed, samples: o.samples, settings: o.settings, workers: o.workers, out: o.out, resume: o.resume, device: o.device }, (s) => console.log(s));
    console.log(`\nWrote ${o.out}/table.md, table.json, mode-histogram.png and one run folder per job under ${o.out}/runs/.`);
  });

try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof BenchStopped) {
    console.error(`gantry: stopped (${e.signal}); the finished runs and the stopped runs' checkpoints are kept. Continue with the same command and --resume.`);
    process.exit(e.signal === 'SIGTERM' ? 143 : 130);
  }
  const err = e as Error;
  const known = err instanceof DataFileError || err instanceof z.ZodError || /^(invalid|unknown|gantry:)/.test(err.message);
  console.error(`gantry: ${err.message}`);
  if (!known && process.env.GANTRY_DEBUG) console.error(err.stack);
  process.exit(1);
}
