// `gantry train`'s configuration: flags, optionally on top of a file (`--config run.yaml|run.json`,
// the shape of a run's config.json, so `--config runs/x/config.json` reruns x). Flags given on the
// command line win over the file; defaults of flags do not. Inputs that would be silently ignored
// are refused, and errors name the flag or the file field the user wrote.
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { LENS_BASES } from '../methods/index.js';
import { fileProblem, fileSha256, readText } from '../data/files.js';
import type { RunConfigInput } from '../train/config.js';
import { flagOf, type Describe } from '../train/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What `gantry train --data points.csv` uses where the user says nothing: the one configuration that
 * came closest to every pinned mixture at the pinned budget (docs/RESULTS.md, "One configuration for every
 * mixture"), rather than the 5,000-step, no-average defaults of the named datasets.
 */
export const USER_POINTS_DEFAULTS = {
  method: 'wgan-gp',
  methodOptions: { lambda: 10, lr: 1e-3 },
  protocol: { ema: 0.999 },
  steps: 20_000,
} as const;

/** A configuration file: JSON or YAML, one object in the shape of config.json. */
export function readConfigFile(path: string): Obj {
  const problem = fileProblem(path);
  if (problem) throw new Error(`invalid --config ${path}: ${problem} (give a .yaml or .json file in config.json's shape)`);
  const text = readText(path);
  let value: unknown;
  try {
    value = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`invalid --config ${path}: not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'} (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObj(value)) throw new Error(`invalid --config ${path}: expected an object of settings (method, dataset, protocol, steps, …), as in a run's config.json`);
  return value;
}

/** b's defined values over a's, one level deep into dataset, protocol and methodOptions. */
function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = isObj(v) && isObj(a[k]) ? merge(a[k] as Obj, v) : v;
  }
  return out;
}

const drop = (o: Obj) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * The run configuration of `gantry train`'s options: the file's, then the flags given. `o` is
 * commander's parsed options, `cmd` tells which of them the user gave.
 */
export function trainConfig(o: Obj, cmd: Command): { config: RunConfigInput; describe: Describe } {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  const file = o.config ? readConfigFile(String(o.config)) : {};
  // Without a file, commander's defaults are the defaults; with one, only flags typed win.
  const v = (k: string) => (o.config && !given(k) ? undefined : o[k]);
  const protocol = drop({
    hidden: v('hidden') ? String(v('hidden')).split(',').map(Number) : undefined,
    latentDim: v('latentDim'),
    batchSize: v('batchSize'),
    lr: v('lr'),
    beta1: v('beta1'),
    lrG: v('lrG'),
    lrD: v('lrD'),
    betasG: v('betasG'),
    betasD: v('betasD'),
    gSteps: v('gSteps'),
    prior: v('prior'),
    nets: v('nets'),
    instanceNoise: v('instanceNoise'),
    ema: v('ema'),
    instanceNoiseSteps: v('instanceNoiseSteps'),
  });
  const dataset = drop({
    name: v('dataset'),
    data: v('data') !== undefined ? resolve(String(v('data'))) : undefined,
    modes: v('modes') !== undefined ? resolve(String(v('modes'))) : undefined,
    sigma: v('sigma'),
    threshold: v('threshold'),
    images: v('images') !== undefined ? resolve(String(v('images'))) : undefined,
    imageSize: v('imageSize'),
    channels: v('channels') !== undefined ? (Number(v('channels')) as 1 | 3) : undefined,
    cifar10: v('cifar10') !== undefined ? resolve(String(v('cifar10'))) : undefined,
    fixedTriples: v('fixedTriples'),
  });
  const flags = drop({
    method: v('method'),
    methodOptions: v('opt'),
    dataset,
    preset: v('preset'),
    confidence: v('confidence'),
    protocol,
    steps: v('steps'),
    seed: v('seed'),
    evalEvery: v('evalEvery'),
    evalSamples: v('evalSamples'),
    checkpointEvery: v('checkpointEvery'),
    logEvery: v('logEvery'),
    viewEvery: v('viewEvery'),
    onCollapse: v('onCollapse'),
    onDiverge: v('onDiverge'),
    threads: v('threads'),
    device: v('device'),
    divergeRetries: v('divergeRetries'),
  });
  const config = merge(file, flags) as Obj & { method?: string; dataset?: Obj };
  const describe: Describe = (path) => {
    const flag = flagOf(path);
    const name = flag.replace(/^--/, '').split(' ')[0].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    return o.config && !given(name) ? `${o.config}: ${path.join('.')}` : flag;
  };

  const userPoints = isObj(config.dataset) && (config.dataset as Obj).data !== undefined;
  if (userPoints) {
    // A user's own points: the measured best configuration fills what was not given.
    if (!config.method) Object.assign(config, { method: USER_POINTS_DEFAULTS.method, methodOptions: { ...USER_POINTS_DEFAULTS.methodOptions, ...(config.methodOptions as Obj) } });
    config.protocol = { ...USER_POINTS_DEFAULTS.protocol, ...(config.protocol as Obj) };
    config.steps ??= USER_POINTS_DEFAULTS.steps;
  }
  if (!config.method) throw new Error(`invalid options: --method is required (or a method field in --config), or --resume <run folder>`);
  if (o.lens) {
    if (!(LENS_BASES as readonly string[]).includes(config.method)) throw new Error(`invalid --lens: the lens wraps ${LENS_BASES.join(', ')}, not ${config.method}`);
    config.method = `lens-${config.method}`;
  }
  // One source of data, and no setting that its source would ignore.
  const ds = (config.dataset ?? {}) as Obj;
  const sources = ['data', 'images', 'cifar10'].filter((k) => ds[k] !== undefined);
  // A dataset named on purpose (typed, or in the file), not the flag's default.
  const fileNamed = isObj(file.dataset) && (file.dataset as Obj).name !== undefined;
  const named = ds.name !== undefined && (given('dataset') || (Boolean(o.config) && fileNamed));
  if (sources.length > 1 || (sources.length && named)) {
    const all = [...(named ? ['name'] : []), ...sources].map((k) => describe(['dataset', k]));
    throw new Error(`invalid options: ${all.join(' and ')} name different data; give one`);
  }
  if (sources.length) delete ds.name;
  for (const k of ['modes', 'sigma'] as const) {
    if (ds[k] !== undefined && ds.data === undefined) throw new Error(`invalid ${describe(['dataset', k])}: it describes the modes of your own points, so it needs --data (the named datasets know their modes)`);
  }
  if (ds.data !== undefined) {
    const path = String(ds.data);
    const problem = fileProblem(path);
    if (problem) throw new Error(`invalid ${describe(['dataset', 'data'])}: ${path} is ${problem === 'no such file' ? 'not there' : problem} (give a .csv or .npy file of points)`);
    // A new --data gets its hash; a file's own hash stays, so a changed file is caught when loaded.
    if (given('data') || ds.dataHash === undefined) ds.dataHash = fileSha256(path); // a later `gantry eval` notices a changed file
  }
  return { config: config as RunConfigInput, describe };
}
