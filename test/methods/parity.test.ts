// Every method's update against PyTorch's (perf/reference/methods.py, written from the papers):
// the same initial weights (safetensors, both ways), the same real batches and noise (drawn here,
// saved for PyTorch; WGAN-GP's interpolation draws from the same generator state), 3 updates in
// float64; every parameter, BatchNorm running statistic and optimizer state equal to 1e-8
// relative, every logged loss equal. Every method (gan, nsgan, lsgan, wgan, wgan-gp, pacgan,
// ebgan, began, unrolled, reg-gan, ali, veegan, mdgan, ivgan, the lens on gan, lsgan and wgan-gp)
// on both network families: the MLPs and the small-d DCGAN with BatchNorm. An optimizer stepping
// the wrong network, a flipped sign, a penalty on the wrong inputs or BatchNorm statistics in the
// wrong stream would still train, and fail here (planted below); a missing detach cannot change an
// update in gantry (checked below too).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AdversarialMethod } from '../../src/methods/adversarial.js';
import { getMethod, ProtocolSchema } from '../../src/methods/index.js';
import { image, points } from '../../src/data/shape.js';
import { writeCase } from '../../perf/reference/describe.js';
import { BatchNorm2d, Sequential, modulesState, type Module } from '../../src/nn/index.js';
import { familyFor } from '../../src/nets/index.js';
import { Tensor, getRngState, keep, manualSeed, randn, safetensors, withDefaultDtype } from '../../src/torch/index.js';

const PYTHON = '/usr/bin/python3';
const script = join(__dirname, '..', '..', 'perf', 'reference', 'methods.py');
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const STEPS = 3;

interface Case {
  id: string;
  options: Record<string, number>;
  protocol: Record<string, unknown>;
  /** A DCGAN network family on 28×28 single-channel images instead of the MLP family on 2D points. */
  nets?: 'small-d-quarter';
}

/**
 * Tensors no two implementations agree on, by construction: the bias of a layer feeding a BatchNorm
 * has a gradient of zero up to rounding (BatchNorm subtracts each channel's mean), Adam scales that
 * rounding noise to full steps of either sign, and it changes no output; with it, its optimizer
 * state and the running mean of the BatchNorm it feeds (which carries the bias).
 */
function beforeBatchNorm(method: AdversarialMethod): Set<string> {
  const skip = new Set<string>();
  const walk = (m: Module, name: string) => {
    if (m instanceof Sequential) {
      m.layers.forEach((l, i) => {
        const bias = (l as { bias?: Tensor | null }).bias;
        if (!(m.layers[i + 1] instanceof BatchNorm2d) || !bias) return;
        skip.add(`${name}.${i}.bias`);
        for (const k of Object.keys(m.layers[i + 1].stateDict())) if (k.startsWith('running_mean')) skip.add(`${name}.${i + 1}.${k}`);
        for (const [net, opt] of Object.entries(method.optimizers)) {
          const j = opt.params.indexOf(bias);
          if (j >= 0) for (const b of ['exp_avg', 'exp_avg_sq']) skip.add(`opt.${net}.${b}.${j}`);
        }
      });
    }
    for (const [k, c] of m.namedChildren()) walk(c, `${name}.${k}`);
  };
  for (const [net, m] of Object.entries(method.modules)) walk(m, net);
  return skip;
}

/** gantry's 3 updates, recording what PyTorch needs; returns the folder with gantry's results beside the case. */
function runGantry(c: Case, plant?: (m: AdversarialMethod) => void): { dir: string; after: Record<string, Tensor>; losses: Record<string, number>[]; skip: Set<string> } {
  const dir = mkdtempSync(join(tmpdir(), `gantry-parity-${c.id}-`));
  return withDefaultDtype('float64', () => {
    manualSeed(7);
    const protocol = ProtocolSchema.parse({ hidden: [16, 16], batchSize: c.nets ? 8 : 32, latentDim: c.nets ? 16 : 2, ...c.protocol });
    const shape = c.nets ? image(1, 28) : points(2);
    const method = getMethod(c.id).create(protocol, familyFor(shape, c.nets ?? 'mlp', protocol.hidden), c.options) as AdversarialMethod;
    const sample = (n: number) => (c.nets ? randn([n, 1, 28, 28]).tanh() : randn([n, 2]).mul(2));
    plant?.(method);
    const init = Object.fromEntries(Object.entries(modulesState(method.modules)).map(([k, t]) => [k, keep(t.clone())]));
    const inputs: Record<string, Tensor> = {};
    const count = { real: 0, z: 0, rng: 0 };
    const record = (kind: keyof typeof count, t: Tensor) => ((inputs[`${kind}.${count[kind]++}`] = keep(t.clone())), t);
    method.noise = (n: number) => record('z', randn([n, protocol.latentDim]));
    const penalty = method.objective?.penalty;
    if (penalty) (method as { objective: typeof method.objective }).objective = { ...method.objective, penalty: (D, real, fake) => (record('rng', getRngState()), penalty(D, real, fake)) };
    const losses: Record<string, number>[] = [];
    for (let i = 0; i < STEPS; i++) losses.push(method.step({ real: (n = protocol.batchSize) => record('real', sample(n)), iteration: i }));
    safetensors.saveFile(join(dir, 'inputs.safetensors'), inputs);
    writeCase(dir, c.id, c.options, method, init, { steps: STEPS });
    const after = modulesState(method.modules);
    for (const [net, opt] of Object.entries(method.optimizers)) {
      for (const [k, t] of Object.entries(opt.stateDict().tensors)) {
        const [i, buffer] = k.split('.');
        after[`opt.${net}.${buffer}.${i}`] = t;
      }
    }
    return { dir, after, losses, skip: beforeBatchNorm(method) };
  });
}

/** PyTorch's 3 updates on each case's folder, in one process: its parameters, optimizer states and losses. */
function runPyTorch(dirs: string[]) {
  spawnSync(PYTHON, [script, ...dirs], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return dirs.map((dir) => {
    const error = join(dir, 'error.txt');
    if (existsSync(error)) return { error: `perf/reference/methods.py failed on this case:\n${readFileSync(error, 'utf8')}` };
    if (!existsSync(join(dir, 'out.safetensors'))) return { error: 'perf/reference/methods.py wrote nothing for this case' };
    return { tensors: safetensors.loadFile(join(dir, 'out.safetensors')).tensors, losses: JSON.parse(readFileSync(join(dir, 'losses.json'), 'utf8')) as Record<string, number>[] };
  });
}

type GantryRun = ReturnType<typeof runGantry>;
type TorchRun = ReturnType<typeof runPyTorch>[number];

/** The largest relative difference over every tensor PyTorch wrote, and over every loss both logged. */
function compare(g: GantryRun, p: TorchRun) {
  if (!p.tensors) throw new Error(p.error);
  let worst = 0;
  let where = '';
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
  for (const [k, t] of Object.entries(p.tensors)) {
    if (g.skip.has(k)) continue;
    const mine = g.after[k];
    if (!mine) throw new Error(`gantry has no ${k}`);
    expect(mine.shape, k).toEqual(t.shape);
    const [a, b] = [mine.toNumbers(), t.toNumbers()];
    // An entry below a thousandth of its tensor's largest is measured against that thousandth: such
    // entries are sums that cancel (BEGAN's L1 gradients, Adam's first moments), and the two
    // libraries' summation orders leave rounding of the tensor's scale in them (1e-16 absolute on
    // an entry of 3e-9 in a tensor of 4e-3 reads 4e-8 relative to the entry itself).
    const scale = Math.max(...b.map(Math.abs));
    const relTo = (x: number, y: number) => Math.abs(x - y) / Math.max(1e-12, Math.abs(y), 1e-3 * scale);
    a.forEach((v, i) => relTo(v, b[i]) > worst && ((worst = relTo(v, b[i])), (where = `${k}[${i}]: gantry ${v}, PyTorch ${b[i]}, largest |entry| ${scale}`)));
  }
  p.losses.forEach((step, i) => {
    for (const [k, v] of Object.entries(step)) rel(g.losses[i][k], v) > worst && ((worst = rel(g.losses[i][k], v)), (where = `loss ${k} at step ${i + 1}`));
  });
  return { worst, where, tensors: Object.keys(p.tensors).length - g.skip.size };
}

const MLP_CASES: Case[] = [
  { id: 'gan', options: {}, protocol: {} },
  { id: 'nsgan', options: {}, protocol: {} },
  { id: 'lsgan', options: {}, protocol: {} },
  { id: 'wgan', options: { nCritic: 2 }, protocol: {} },
  { id: 'wgan-gp', options: { nCritic: 2, lambda: 10 }, protocol: {} },
  { id: 'pacgan', options: { packing: 2 }, protocol: {} },
  { id: 'ebgan', options: { margin: 1, pullAway: 0.1, code: 4 }, protocol: {} },
  { id: 'began', options: { gamma: 0.5, lambdaK: 0.1 }, protocol: {} },
  { id: 'reg-gan', options: { lambda1: 0.2, lambda2: 0.4 }, protocol: {} },
  { id: 'ali', options: {}, protocol: {} },
  { id: 'veegan', options: { reconstructionWeight: 1 }, protocol: {} },
  { id: 'mdgan', options: { lambda: 0.2 }, protocol: {} },
  { id: 'unrolled', options: { unrollSteps: 3 }, protocol: {} },
  { id: 'ivgan', options: { blocks: 2, gamma: 0.5, eta: 0.25 }, protocol: {} },
  // The lens (Tempered Adversarial Networks) on three objectives; K = 4 so that λ_t moves within 3 steps.
  { id: 'lens-gan', options: { K: 4, lensWidth: 8, lensBlocks: 2 }, protocol: {} },
  { id: 'lens-lsgan', options: { K: 4, lensWidth: 8, lensBlocks: 2 }, protocol: {} },
  { id: 'lens-wgan-gp', options: { K: 4, lensWidth: 8, lensBlocks: 2, nCritic: 2, lambda: 10 }, protocol: {} },
];
// Every method again on the small-d DCGAN (¼G) with BatchNorm on 28×28 images: convolutions,
// transposed convolutions, running statistics; the autoencoders, encoders, joint discriminators and
// the lens in their convolutional form.
const CASES: Case[] = [...MLP_CASES, ...MLP_CASES.map((c): Case => ({ ...c, nets: 'small-d-quarter' }))];

const byId = (id: string, nets?: Case['nets']) => CASES.find((c) => c.id === id && c.nets === nets)!;
/** Bugs that would still train; each must move some tensor or loss far from PyTorch's. */
const PLANTED: { what: string; c: Case; plant: (m: AdversarialMethod) => void }[] = [
  {
    what: 'the GAN objective with its generator loss sign flipped',
    c: byId('nsgan'),
    // Objectives are shared by every method made from them: a plant replaces this method's copy.
    plant: (m) => {
      const { g } = m.objective;
      (m as { objective: typeof m.objective }).objective = { ...m.objective, g: (fake) => g(fake).neg() };
    },
  },
  {
    what: "WGAN-GP's penalty on the real batch twice (the wrong inputs)",
    c: byId('wgan-gp'),
    plant: (m) => {
      const penalty = m.objective.penalty!;
      (m as { objective: typeof m.objective }).objective = { ...m.objective, penalty: (D, real) => penalty(D, real, real) };
    },
  },
  {
    what: "Reg-GAN's reconstructions G(E(x)) through the BatchNorm statistics of noise batches (stream 0, not its own)",
    c: byId('reg-gan', 'small-d-quarter'),
    plant: (m) => {
      (m as unknown as { codeStream: number }).codeStream = 0;
    },
  },
];
/**
 * Every `detach()` removed while gantry runs the case: the updates must not move, because a method's
 * `minimize` differentiates only the parameters of the optimizers it steps (backward with `inputs`),
 * so a forgotten detach cannot leak a gradient into another network.
 */
const DETACH_FREE: Case[] = [byId('nsgan', 'small-d-quarter'), byId('veegan', 'small-d-quarter'), byId('mdgan', 'small-d-quarter')];
function withoutDetach<R>(fn: () => R): R {
  const detach = Tensor.prototype.detach;
  Tensor.prototype.detach = function (this: Tensor) {
    return this;
  };
  try {
    return fn();
  } finally {
    Tensor.prototype.detach = detach;
  }
}

const label = (c: Case) => `${c.id}${c.nets ? ` (${c.nets} DCGAN, BatchNorm)` : ''}`;

describe.skipIf(!hasTorch)("each method's update equals PyTorch's (skipped where Debian's python3-torch is not installed; scripts/setup.sh installs it)", () => {
  // gantry's runs first, then every case in one PyTorch process (its start-up is most of a case's time).
  let results: { g: GantryRun; p: TorchRun }[] = [];
  beforeAll(() => {
    const runs = [...CASES.map((c) => runGantry(c)), ...PLANTED.map(({ c, plant }) => runGantry(c, plant)), ...DETACH_FREE.map((c) => withoutDetach(() => runGantry(c)))];
    const torch = runPyTorch(runs.map((g) => g.dir));
    results = runs.map((g, i) => ({ g, p: torch[i] }));
  }, 300_000);
  CASES.forEach((c, i) => {
    it(`${label(c)}: 3 updates in float64, every parameter, ${c.nets ? 'running statistic, ' : ''}optimizer state and loss to 1e-8 relative`, () => {
      const { worst, where, tensors } = compare(results[i].g, results[i].p);
      expect(tensors).toBeGreaterThanOrEqual(16);
      if (process.env.PARITY_REPORT) console.log(`PARITY ${label(c)} ${worst.toExponential(1)} ${tensors} ${where}`);
      expect(worst, where).toBeLessThan(1e-8);
    });
  });
  PLANTED.forEach(({ what, c }, i) => {
    it(`catches a planted bug in ${label(c)}: ${what}`, () => {
      const { worst, where } = compare(results[CASES.length + i].g, results[CASES.length + i].p);
      if (process.env.PARITY_REPORT) console.log(`PARITY planted ${label(c)} ${worst.toExponential(1)} ${where}`);
      expect(worst).toBeGreaterThan(1e-3);
    });
  });
  DETACH_FREE.forEach((c, i) => {
    it(`${label(c)} with every detach removed still equals PyTorch's updates (minimize differentiates only its optimizers' parameters)`, () => {
      const r = results[CASES.length + PLANTED.length + i];
      const { worst, where } = compare(r.g, r.p);
      expect(worst, where).toBeLessThan(1e-8);
    });
  });
});
