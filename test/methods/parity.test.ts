// Every method's update against PyTorch's (perf/reference/methods.py, written from the papers):
// the same initial weights (safetensors, both ways), the same real batches and noise (drawn here,
// saved for PyTorch; WGAN-GP's interpolation draws from the same generator state), 3 updates in
// float64 on the MLP family; every parameter and optimizer state equal to 1e-8 relative, every
// logged loss equal. A missing detach, an optimizer stepping the wrong network, a flipped sign or a
// penalty on the wrong inputs would still train, and fail here.
// Covered so far: gan, nsgan, lsgan, wgan, wgan-gp, pacgan, ebgan, began, unrolled (3 Adam steps
// differentiated through), reg-gan, ali, veegan, mdgan and the lens on gan, lsgan and wgan-gp on the
// MLP family; ivgan; nsgan and wgan-gp on the small-d DCGAN with BatchNorm.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AdversarialMethod } from '../../src/methods/adversarial.js';
import { getMethod, ProtocolSchema } from '../../src/methods/index.js';
import { image, points } from '../../src/data/shape.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Linear, Sequential, type Module } from '../../src/nn/index.js';
import { familyFor } from '../../src/nets/index.js';
import { getRngState, keep, manualSeed, randn, safetensors, withDefaultDtype, type Tensor } from '../../src/torch/index.js';

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
  for (const [net, m] of Object.entries(method.modules)) {
    if (!(m instanceof Sequential)) continue;
    m.layers.forEach((l, i) => {
      const bias = (l as { bias?: Tensor | null }).bias;
      if (!(m.layers[i + 1] instanceof BatchNorm2d) || !bias) return;
      skip.add(`${net}.${i}.bias`);
      skip.add(`${net}.${i + 1}.running_mean`);
      for (const [name, opt] of Object.entries(method.optimizers)) {
        const j = opt.params.indexOf(bias);
        if (j >= 0) for (const b of ['exp_avg', 'exp_avg_sq']) skip.add(`opt.${name}.${b}.${j}`);
      }
    });
  }
  return skip;
}

/** The layers of a Sequential, for the reference to build the same network (the DCGAN family). */
function describeLayers(net: Module): Record<string, unknown>[] {
  if (!(net instanceof Sequential)) throw new Error('the parity test describes Sequential networks');
  return net.layers.map((l) => {
    if (l instanceof Linear) return { type: 'Linear' };
    if (l instanceof Conv2d) return { type: 'Conv2d', stride: l.stride, padding: l.padding };
    if (l instanceof ConvTranspose2d) return { type: 'ConvTranspose2d', stride: l.stride, padding: l.padding, outputPadding: l.outputPadding };
    if (l instanceof BatchNorm2d) return { type: 'BatchNorm2d', eps: l.eps, momentum: l.momentum };
    const name = (l as unknown as { name: string }).name;
    const leaky = /^LeakyReLU\((.+)\)$/.exec(name);
    if (leaky) return { type: 'LeakyReLU', slope: Number(leaky[1]) };
    const unflatten = /^Unflatten\((.+)\)$/.exec(name);
    if (unflatten) return { type: 'Unflatten', shape: unflatten[1].split(',').map(Number) };
    return { type: name.replace(/\(inplace\)$/, '') };
  });
}

/** gantry's 3 updates, recording what PyTorch needs; returns the folder with gantry's results beside the case. */
function runGantry(c: Case, plant?: (m: AdversarialMethod) => void) {
  const dir = mkdtempSync(join(tmpdir(), `gantry-parity-${c.id}-`));
  return withDefaultDtype('float64', () => {
    manualSeed(7);
    const protocol = ProtocolSchema.parse({ hidden: [16, 16], batchSize: c.nets ? 8 : 32, latentDim: c.nets ? 16 : 2, ...c.protocol });
    const shape = c.nets ? image(1, 28) : points(2);
    const method = getMethod(c.id).create(protocol, familyFor(shape, c.nets ?? 'mlp', protocol.hidden), c.options) as AdversarialMethod;
    const sample = (n: number) => (c.nets ? randn([n, 1, 28, 28]).tanh() : randn([n, 2]).mul(2));
    plant?.(method);
    const init: Record<string, Tensor> = {};
    for (const [net, m] of Object.entries(method.modules)) for (const [k, t] of Object.entries(m.stateDict())) init[`${net}.${k}`] = t;
    safetensors.saveFile(join(dir, 'init.safetensors'), init);
    const inputs: Record<string, Tensor> = {};
    const count = { real: 0, z: 0, rng: 0 };
    const record = (kind: keyof typeof count, t: Tensor) => ((inputs[`${kind}.${count[kind]++}`] = keep(t.clone())), t);
    method.noise = (n: number) => record('z', randn([n, protocol.latentDim]));
    const penalty = method.objective?.penalty;
    if (penalty) (method.objective as { penalty?: typeof penalty }).penalty = (D, real, fake) => (record('rng', getRngState()), penalty(D, real, fake));
    const losses: Record<string, number>[] = [];
    for (let i = 0; i < STEPS; i++) losses.push(method.step({ real: (n = protocol.batchSize) => record('real', sample(n)), iteration: i }));
    safetensors.saveFile(join(dir, 'inputs.safetensors'), inputs);
    const nets = c.nets ? Object.fromEntries(Object.entries(method.modules).map(([k, m]) => [k, describeLayers(m)])) : undefined;
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ method: c.id, options: c.options, protocol, steps: STEPS, nets }));
    const after: Record<string, Tensor> = {};
    for (const [net, m] of Object.entries(method.modules)) for (const [k, t] of Object.entries(m.stateDict())) after[`${net}.${k}`] = t;
    for (const [net, opt] of Object.entries(method.optimizers)) {
      for (const [k, t] of Object.entries(opt.stateDict().tensors)) {
        const [i, buffer] = k.split('.');
        after[`opt.${net}.${buffer}.${i}`] = t;
      }
    }
    return { dir, after, losses, skip: beforeBatchNorm(method) };
  });
}

/** PyTorch's 3 updates on the same case: its parameters, optimizer states and losses. */
function runPyTorch(dir: string) {
  const r = spawnSync(PYTHON, [script, dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`perf/reference/methods.py failed: ${r.stderr}`);
  return { tensors: safetensors.loadFile(join(dir, 'out.safetensors')).tensors, losses: JSON.parse(readFileSync(join(dir, 'losses.json'), 'utf8')) as Record<string, number>[] };
}

/** The largest relative difference over every tensor PyTorch wrote, and over every loss both logged. */
function compare(c: Case, plant?: (m: AdversarialMethod) => void) {
  const g = runGantry(c, plant);
  const p = runPyTorch(g.dir);
  let worst = 0;
  let where = '';
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
  for (const [k, t] of Object.entries(p.tensors)) {
    if (g.skip.has(k)) continue;
    const mine = g.after[k];
    if (!mine) throw new Error(`gantry has no ${k}`);
    expect(mine.shape, k).toEqual(t.shape);
    const [a, b] = [mine.toNumbers(), t.toNumbers()];
    a.forEach((v, i) => rel(v, b[i]) > worst && ((worst = rel(v, b[i])), (where = k)));
  }
  p.losses.forEach((step, i) => {
    for (const [k, v] of Object.entries(step)) rel(g.losses[i][k], v) > worst && ((worst = rel(g.losses[i][k], v)), (where = `loss ${k} at step ${i + 1}`));
  });
  return { worst, where, tensors: Object.keys(p.tensors).length - g.skip.size };
}

const CASES: Case[] = [
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
  // The small-d DCGAN (¼G) with BatchNorm on 28×28 images: running statistics compared too.
  { id: 'nsgan', options: {}, protocol: {}, nets: 'small-d-quarter' },
  { id: 'wgan-gp', options: { nCritic: 2, lambda: 10 }, protocol: {}, nets: 'small-d-quarter' },
  // The lens (Tempered Adversarial Networks) on three objectives; K = 4 so that λ_t moves within 3 steps.
  { id: 'lens-gan', options: { K: 4, lensWidth: 8, lensBlocks: 2 }, protocol: {} },
  { id: 'lens-lsgan', options: { K: 4, lensWidth: 8, lensBlocks: 2 }, protocol: {} },
  { id: 'lens-wgan-gp', options: { K: 4, lensWidth: 8, lensBlocks: 2, nCritic: 2, lambda: 10 }, protocol: {} },
];

describe.skipIf(!hasTorch)("each method's update equals PyTorch's (skipped where Debian's python3-torch is not installed; scripts/setup.sh installs it)", () => {
  for (const c of CASES) {
    it(`${c.id}${c.nets ? ` (${c.nets} DCGAN, BatchNorm)` : ''}: 3 updates in float64, every parameter, ${c.nets ? 'running statistic, ' : ''}optimizer state and loss to 1e-8 relative`, () => {
      const { worst, where, tensors } = compare(c);
      expect(tensors).toBeGreaterThanOrEqual(16);
      expect(worst, where).toBeLessThan(1e-8);
    });
  }
  it('catches a planted bug: the GAN objective with its generator loss sign flipped', () => {
    const { worst } = compare(CASES[1], (m) => {
      const g = m.objective.g;
      (m.objective as { g: typeof g }).g = (fake) => g(fake).neg();
    });
    expect(worst).toBeGreaterThan(1e-3);
  });
  it("catches a planted bug: WGAN-GP's penalty on the real batch twice (the wrong inputs)", () => {
    const { worst } = compare(CASES[4], (m) => {
      const penalty = m.objective.penalty!;
      (m.objective as { penalty?: typeof penalty }).penalty = (D, real) => penalty(D, real, real);
    });
    expect(worst).toBeGreaterThan(1e-3);
  });
});
