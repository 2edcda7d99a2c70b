// The engine workloads of docs/ENGINE.md (W1a, W1b, W2a, W2b, W3, W4), step for step the same as
// perf/reference/engine.py. One `step()` is one discriminator update and one generator update.
import { Adam, BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Linear, ReLU, Sequential, Tanh, Unflatten, mlp, type Module } from '../src/nn/index.js';
import type { WorkloadName } from './steps.js';
import { image } from '../src/data/shape.js';
import { DCGAN_SPECS, DcganFamily } from '../src/nets/index.js';
import { F, Tensor, grad, noGrad, ones, rand, randint, randn, scope, tensor, zeros } from '../src/torch/index.js';

export interface Workload {
  step(): void;
  /**
   * One step's multiply-adds × 2 in the layers with weights (linear, convolution, transposed
   * convolution), forward and backward, counted from the networks' shapes (W3, W4): the work the
   * profiler's count leaves out (it counts neither transposed nor backward convolutions).
   */
  flops?: number;
}

/** Forward FLOPs (2 × multiply-adds) of each weighted layer of a Sequential, for one sample of `shape`. */
export function layerFlops(net: Module, shape: number[]): number[] {
  if (!(net instanceof Sequential)) throw new Error('layerFlops counts the layers of a Sequential');
  const training = net.training;
  net.eval(); // BatchNorm on its running statistics, which stay as they are
  const flops = noGrad(() =>
    scope(() => {
      let x = zeros([1, ...shape]);
      const out: number[] = [];
      for (const l of net.layers) {
        const y = l.forward(x);
        const w = (l as { weight?: Tensor }).weight;
        if (l instanceof Linear) out.push(2 * l.inFeatures * l.outFeatures);
        // A convolution: every output value takes in·k·k multiply-adds; a transposed one: every input value gives out·k·k.
        else if (l instanceof Conv2d && w) out.push(2 * y.numel() * w.shape[1] * w.shape[2] * w.shape[3]);
        else if (l instanceof ConvTranspose2d && w) out.push(2 * x.numel() * w.shape[1] * w.shape[2] * w.shape[3]);
        x = y;
      }
      return out;
    }),
  );
  net.train(training);
  return flops;
}

/**
 * The FLOPs of imageGanStep's step: G forward twice; D forward three times (real, fake, G's batch);
 * each backward costs twice its forward (input gradient and weight gradient) except the input
 * gradient of a first layer whose input needs none (x and the detached fakes in D's update, z in G's).
 * D's weight gradients in G's update are computed too, as autograd does for parameters that require them.
 */
function imageStepFlops(G: Module, D: Module, shape: number[], latent: number): number {
  const g = layerFlops(G, [latent]);
  const d = layerFlops(D, shape.slice(1));
  const [fG, fD] = [g.reduce((a, b) => a + b, 0), d.reduce((a, b) => a + b, 0)];
  return shape[0] * (4 * fG + 9 * fD - 2 * d[0] - g[0]);
}

/** The 8-Gaussian ring: radius 2, σ 0.02 (docs/PROTOCOLS.md). */
function ringBatch(centres: Tensor, batch: number): Tensor {
  return centres.indexSelect(0, randint(0, 8, [batch])).add(randn([batch, 2]).mul(0.02));
}
function ringCentres(): Tensor {
  const a = Array.from({ length: 8 }, (_, k) => (2 * Math.PI * k) / 8);
  return tensor(a.map((t) => [2 * Math.cos(t), 2 * Math.sin(t)]));
}

/** W1: MLP GAN on the ring, non-saturating loss (also the memory test's workload). */
export function w1(hidden: number, batch: number): Workload {
  const G = mlp(2, [hidden, hidden], 2);
  const D = mlp(2, [hidden, hidden], 1);
  const optG = new Adam(G.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
  const optD = new Adam(D.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
  const centres = ringCentres();
  const real1 = ones([batch, 1]);
  const fake0 = zeros([batch, 1]);
  return {
    step: () =>
      scope(() => {
        const x = ringBatch(centres, batch);
        const fake = noGrad(() => G.forward(randn([batch, 2])));
        const lossD = F.bceWithLogits(D.forward(x), real1).add(F.bceWithLogits(D.forward(fake), fake0));
        optD.zeroGrad();
        lossD.backward();
        optD.step();
        const lossG = F.bceWithLogits(D.forward(G.forward(randn([batch, 2]))), real1);
        optG.zeroGrad();
        lossG.backward();
        optG.step();
      }),
  };
}

export function w2(hidden: number, batch: number): Workload {
  const G = mlp(2, [hidden, hidden], 2);
  const D = mlp(2, [hidden, hidden], 1);
  const optG = new Adam(G.parameters(), { lr: 1e-4, betas: [0.5, 0.9] });
  const optD = new Adam(D.parameters(), { lr: 1e-4, betas: [0.5, 0.9] });
  const centres = ringCentres();
  return {
    step: () =>
      scope(() => {
        const x = ringBatch(centres, batch);
        const fake = noGrad(() => G.forward(randn([batch, 2])));
        const eps = rand([batch, 1]);
        const xhat = x.mul(eps).add(fake.mul(eps.rsub(1))).requiresGrad_(true);
        const [g] = grad(D.forward(xhat).sum(), xhat, { createGraph: true });
        const penalty = g!.norm(2, 1).sub(1).square().mean().mul(10);
        const lossD = D.forward(fake).mean().sub(D.forward(x).mean()).add(penalty);
        optD.zeroGrad();
        lossD.backward();
        optD.step();
        const lossG = D.forward(G.forward(randn([batch, 2]))).mean().neg();
        optG.zeroGrad();
        lossG.backward();
        optG.step();
      }),
  };
}

function w3(batch = 64): Workload {
  const G: Module = new Sequential(
    new Linear(64, 128 * 7 * 7), Unflatten(128, 7, 7), new BatchNorm2d(128), ReLU(),
    new ConvTranspose2d(128, 64, 5, { stride: 2, padding: 2, outputPadding: 1 }), new BatchNorm2d(64), ReLU(),
    new ConvTranspose2d(64, 1, 5, { stride: 2, padding: 2, outputPadding: 1 }), Tanh(),
  );
  const D: Module = new Sequential(
    new Conv2d(1, 64, 5, { stride: 2, padding: 2 }), LeakyReLU(0.2),
    new Conv2d(64, 128, 5, { stride: 2, padding: 2 }), new BatchNorm2d(128), LeakyReLU(0.2),
    Flatten(), new Linear(128 * 7 * 7, 1),
  );
  const optG = new Adam(G.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const optD = new Adam(D.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  return imageGanStep(G, D, optG, optD, [batch, 1, 28, 28], 64);
}

/** One D and one G update of a DCGAN on uniform-noise "images" in [−1, 1] (W3, W4). */
function imageGanStep(G: Module, D: Module, optG: Adam, optD: Adam, shape: number[], latent: number): Workload {
  const batch = shape[0];
  const real1 = ones([batch, 1]);
  const fake0 = zeros([batch, 1]);
  return {
    flops: imageStepFlops(G, D, shape, latent),
    step: () =>
      scope(() => {
        const x = rand(shape).mul(2).sub(1);
        const fake = noGrad(() => G.forward(randn([batch, latent])));
        const lossD = F.bceWithLogits(D.forward(x), real1).add(F.bceWithLogits(D.forward(fake), fake0));
        optD.zeroGrad();
        lossD.backward();
        optD.step();
        const lossG = F.bceWithLogits(D.forward(G.forward(randn([batch, latent]))), real1);
        optG.zeroGrad();
        lossG.backward();
        optG.step();
      }),
  };
}

/**
 * W4: one small-d ¼G step on Stacked-MNIST-shaped batches (docs/PROTOCOLS.md, Unrolled GAN / PacGAN Table 3):
 * the networks gantry's DCGAN family builds for that protocol, Adam D 2e-4 / G 1e-4, β (0.5, 0.99).
 */
function w4(batch = 128): Workload {
  const family = DcganFamily.for(image(3, 28), DCGAN_SPECS['small-d-quarter']);
  const G = family.generator(256);
  const D = family.discriminator();
  const optG = new Adam(G.parameters(), { lr: 1e-4, betas: [0.5, 0.99] });
  const optD = new Adam(D.parameters(), { lr: 2e-4, betas: [0.5, 0.99] });
  return imageGanStep(G, D, optG, optD, [batch, 3, 28, 28], 256);
}

export const WORKLOADS: Record<WorkloadName, () => Workload> = {
  w1a: () => w1(128, 512),
  w1b: () => w1(512, 256),
  w2a: () => w2(128, 512),
  w2b: () => w2(512, 256),
  w3: () => w3(64),
  w4: () => w4(128),
};
