// `gantry bench gradients`: the gradient experiment of "Tackling the Gradient Issues in GANs"
// (papers/003, after Arjovsky & Bottou 2017, Figures 2 and 3). A generator is trained with the
// non-saturating GAN for S steps and frozen; then, `runs` times, a discriminator is trained from
// scratch against it, and after 1, 2, 5, 10, … of its steps we measure the norm of the generator's
// gradient under three losses on a fixed batch of 512 codes:
//   minimax         ∇θ E[log(1 − D(G(z)))]          (vanishes as D approaches optimality)
//   non-saturating  ∇θ E[−log D(G(z))]              (does not vanish; its variance grows)
//   WGAN-GP         ∇θ E[−C(G(z))], C a critic trained from scratch beside D with the gradient
//                   penalty (Algorithm 1: λ = 10, Adam 1e-4, β (0.5, 0.9)), one step per D step
// mean ± std over the runs, on log axes (PNG) and as JSON. D: the run's discriminator network, Adam
// at the protocol's settings (synthetic: 1e-3, β1 0.5). D's loss on a fresh batch is recorded too,
// to show how close to optimal it is.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradientPenalty } from '../methods/wgan-gp.js';
import { Adam, type Module } from '../nn/index.js';
import { F, grad, manualSeed, noGrad, scope, useDevice, type Tensor } from '../torch/index.js';
import { buildRun } from '../train/config.js';
import { writeCharts, type Series } from '../report/chart.js';
import { ganDiscriminatorLoss } from '../methods/gan.js';
import type { DatasetName } from '../data/index.js';

export interface GradientBenchOptions {
  dataset: DatasetName;
  /** Generator training steps before freezing (one experiment per stage). */
  stages: number[];
  /** Discriminator steps (the largest checkpoint). */
  dSteps: number;
  runs: number;
  seed: number;
  out: string;
  nets?: string;
  /** Where every run's tensors live (cpu, cuda, cuda:N; default cpu). */
  device?: string;
}

export const LOSSES = ['minimax', 'non-saturating', 'wgan-gp'] as const;
type LossName = (typeof LOSSES)[number];

/** 1, 2, 5, 10, 20, 50, … up to n (and n itself). */
export function logCheckpoints(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d *= 10) for (const m of [1, 2, 5]) if (m * d <= n) out.push(m * d);
  if (out.at(-1) !== n) out.push(n);
  return out;
}

/** ‖∇θ loss‖ over G's parameters. */
function gradNorm(G: Module, loss: Tensor): number {
  const gs = grad(loss, G.parameters(), { allowUnused: true });
  return Math.sqrt(gs.reduce((s, g) => s + (g ? g.square().sum().item() : 0), 0));
}

export interface GradientStage {
  stage: number;
  checkpoints: number[];
  /** Per loss: mean and std over runs at each checkpoint. */
  norms: Record<LossName, { mean: number[]; std: number[] }>;
  dLoss: { mean: number[]; std: number[] };
}

const meanStd = (rows: number[][]) => {
  const k = rows[0].length;
  const mean = Array.from({ length: k }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = mean.map((m, j) => (rows.length > 1 ? Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / (rows.length - 1)) : 0));
  return { mean, std };
};

export function benchGradients(o: GradientBenchOptions, log: (s: string) => void): GradientStage[] {
  const device = useDevice(o.device ?? 'cpu');
  mkdirSync(o.out, { recursive: true });
  const checkpoints = logCheckpoints(o.dSteps);
  const stages: GradientStage[] = [];
  for (const stage of o.stages) {
    // The generator: nsgan for `stage` steps (0: the untrained generator), then frozen.
    const run = buildRun({ method: 'nsgan', dataset: { name: o.dataset }, steps: Math.max(stage, 1), seed: o.seed, evalEvery: 0, checkpointEvery: 0, protocol: o.nets ? { nets: o.nets } : {}, device });
    if (stage > 0) run.trainer.run();
    const { G, family, protocol } = run.method;
    G.eval();
    const batch = protocol.batchSize;
    const perRun: Record<LossName, number[][]> = { minimax: [], 'non-saturating': [], 'wgan-gp': [] };
    const dLosses: number[][] = [];
    for (let r = 0; r < o.runs; r++) {
      manualSeed(o.seed * 1000 + stage + 17 * r);
      const D = family.discriminator();
      const C = family.discriminator();
      const optD = new Adam(D.parameters(), { lr: protocol.lrD ?? protocol.lr, betas: protocol.betasD ?? [protocol.beta1, protocol.beta2] });
      const optC = new Adam(C.parameters(), { lr: 1e-4, betas: [0.5, 0.9] });
      const z = run.method.noise(512);
      const norms: Record<LossName, number[]> = { minimax: [], 'non-saturating': [], 'wgan-gp': [] };
      const dl: number[] = [];
      for (let step = 1; step <= o.dSteps; step++) {
        scope(() => {
          const x = run.data.sampler.sample(batch);
          const fake = noGrad(() => G.forward(run.method.noise(batch)));
          optD.zeroGrad();
          ganDiscriminatorLoss(D.forward(x), D.forward(fake)).backward();
          optD.step();
          optC.zeroGrad();
          C.forward(fake).mean().sub(C.forward(x).mean()).add(gradientPenalty(C, x, fake, 10)).backward(undefined, { inputs: C.parameters() });
          optC.step();
        });
        if (!checkpoints.includes(step)) continue;
        scope(() => {
          const logits = D.forward(G.forward(z));
          norms.minimax.push(gradNorm(G, F.softplus(logits).mean().neg()));
          norms['non-saturating'].push(gradNorm(G, F.softplus(D.forward(G.forward(z)).neg()).mean()));
          norms['wgan-gp'].push(gradNorm(G, C.forward(G.forward(z)).mean().neg()));
          dl.push(noGrad(() => ganDiscriminatorLoss(D.forward(run.data.sampler.sample(512)), D.forward(G.forward(z))).item()));
        });
      }
      for (const k of LOSSES) perRun[k].push(norms[k]);
      dLosses.push(dl);
      for (const m of [D, C]) m.dispose();
      optD.dispose();
      optC.dispose();
    }
    const result: GradientStage = {
      stage,
      checkpoints,
      norms: Object.fromEntries(LOSSES.map((k) => [k, meanStd(perRun[k])])) as GradientStage['norms'],
      dLoss: meanStd(dLosses),
    };
    stages.push(result);
    const last = checkpoints.length - 1;
    log(
      `G after ${stage} steps: after ${o.dSteps} D steps, ‖∇G‖ minimax ${result.norms.minimax.mean[last].toExponential(2)}, non-saturating ${result.norms['non-saturating'].mean[last].toExponential(2)}, WGAN-GP ${result.norms['wgan-gp'].mean[last].toExponential(2)}; D loss ${result.dLoss.mean[last].toFixed(4)} (${o.runs} runs)`,
    );
  }
  writeFileSync(join(o.out, 'gradients.json'), JSON.stringify({ options: o, stages }, null, 2) + '\n');
  writeCharts(
    join(o.out, 'gradients.png'),
    stages.flatMap((s) => [
      {
        title: `‖∇G‖, G after ${s.stage} steps`,
        yLabel: 'gradient norm',
        logX: true,
        logY: true,
        series: LOSSES.map((k): Series => ({ label: k, points: s.checkpoints.map((c, i) => [c, s.norms[k].mean[i]]), spread: s.norms[k].std })),
      },
    ]),
    'discriminator steps',
  );
  return stages;
}
