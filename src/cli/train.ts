// `gantry train`: one method on one dataset into a run folder, with the progress bar; --resume continues one.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DATASETS } from '../data/index.js';
import { LENS_BASES, METHODS } from '../methods/index.js';
import { NETWORKS } from '../nets/index.js';
import { describeReport } from '../metrics/report.js';
import { watchSignals } from '../torch/index.js';
import { resumeDir, trainToDir, type RunHooks, type RunResult } from '../train/run.js';
import { PRESETS } from '../train/presets.js';
import { FILES } from '../train/run-files.js';
import { LOCK_FILE, lockRunFolder } from '../train/lock.js';
import { basename, dirname, join, resolve } from 'node:path';
import { besideDashboard } from './serve.js';
import { attachProgress } from './progress.js';
import { betas, device, int, kv, num } from './parsers.js';
import { USER_POINTS_DEFAULTS, trainConfig } from './train-config.js';
import { kebab } from '../train/errors.js';

export function addTrainCommand(program: Command): void {
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
    .option('--view-every <n>', 'snapshots for the live view (view/) every n steps, points runs (0: none)', int('--view-every'))
    .addOption(new Option('--on-collapse <what>', 'collapse alarms (alarms.jsonl): warn, stop (checkpoint, then exit 3; resumable), or off').choices(['warn', 'stop', 'off']))
    .option('--dashboard', 'serve the live view of this run (and its sibling runs) while it trains, and print its URL')
    .option('--json', 'print final.json instead of a summary')
    .option('--quiet', 'no progress bar')
    .action(async (o, cmd: Command) => {
      const dashboard = (dir: string, work: () => void) => besideDashboard(Boolean(o.dashboard), dirname(resolve(dir)), `?run=${encodeURIComponent(basename(resolve(dir)))}`, work);
      if (o.resume) {
        const given = cmd.options.map((opt) => opt.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !['resume', 'quiet', 'json', 'device', 'dashboard', 'onCollapse'].includes(k));
        if (given.length) throw new Error(`invalid --resume: the run's settings come from ${o.resume}/config.json; leave out ${given.map((k) => '--' + kebab(k)).join(', ')}`);
        return dashboard(o.resume, () => trainCommand(o, (hooks) => resumeDir(o.resume, hooks, { device: o.device, onCollapse: o.onCollapse }), o.resume));
      }
      const { config, describe } = trainConfig(o, cmd);
      const ds = config.dataset ?? {};
      const source = ds.images ? 'images' : ds.cifar10 ? 'cifar10' : ds.data ? 'data' : (ds.name ?? 'ring');
      const out = o.out || `runs/${config.method}-${source}-seed${config.seed ?? 1}`;
      // The folder's lock first: a second writer is refused before anything is removed or written.
      const release = lockRunFolder(out, (s) => console.error(`gantry: ${s}`));
      try {
        claimRunFolder(out, o.overwrite);
        await dashboard(out, () => trainCommand(o, (hooks) => trainToDir(config, out, { ...hooks, describe }), out));
      } finally {
        release();
      }
    });
}

/**
 * A run folder for a new run: a new or empty folder, or, with --overwrite, one that holds a run
 * (removed first, so no stale file of the old run stays). Anything else is refused.
 */
function claimRunFolder(out: string, overwrite: boolean): void {
  const entries = existsSync(out) ? readdirSync(out).filter((f) => f !== LOCK_FILE) : [];
  if (entries.length === 0) return;
  if (!existsSync(join(out, FILES.config))) throw new Error(`invalid --out ${out}: the folder is not empty and holds no run; choose another --out`);
  if (!overwrite) throw new Error(`invalid --out ${out}: it holds a run already; continue it with gantry train --resume ${out}, or replace it with --overwrite`);
  for (const f of entries) rmSync(join(out, f), { recursive: true });
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
  if (result.stopped?.startsWith('collapse:')) {
    console.error(`gantry: stopped at step ${result.steps} by the collapse alarm ${result.stopped.slice(9)} (--on-collapse stop); the checkpoint is saved. Continue with: gantry train --resume ${dir} --on-collapse warn`);
    process.exitCode = 3;
    return;
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
  console.log(`${result.stepsPerSecond.toFixed(0)} steps/s; wrote ${dir}/ (${readdirSync(dir).filter((f) => !f.startsWith('.')).join(', ')})`);
}
