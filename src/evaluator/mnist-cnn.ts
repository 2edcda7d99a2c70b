// The counting classifier: PacGAN's MNIST CNN (their harness uses Keras' mnist_cnn example): conv 32
// 3×3, conv 64 3×3, max-pool 2, dropout 0.25, dense 128, dropout 0.5, dense 10, ReLU throughout.
// It labels each channel of Stacked-MNIST and its 128-d penultimate layer is the feature space of
// the MNIST-family metrics. Trained here, deterministically from a seed; the weights are committed
// with their SHA-256, and nothing retrains them behind the user's back.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, Conv2d, Linear, Module } from '../nn/index.js';
import { F, cat, engineInfo, getDefaultDevice, keep, manualSeed, noGrad, packageRoot, randint, randperm, safetensors, scope, withSeed, type Tensor } from '../torch/index.js';
import { fileSha256 } from '../data/files.js';
import { toPixels, type LabelledImages } from '../data/mnist.js';

export class MnistCnn extends Module {
  readonly conv1 = this.registerModule('conv1', new Conv2d(1, 32, 3));
  readonly conv2 = this.registerModule('conv2', new Conv2d(32, 64, 3));
  readonly fc1 = this.registerModule('fc1', new Linear(12 * 12 * 64, 128));
  readonly fc2 = this.registerModule('fc2', new Linear(128, 10));

  /** The 128-d penultimate activations (after ReLU, before dropout) of x [n, 1, 28, 28] in [−1, 1]. */
  features(x: Tensor): Tensor {
    let h = this.conv2.forward(this.conv1.forward(x).relu_()).relu_();
    h = F.dropout(F.maxPool2d(h, 2), 0.25, this.training);
    return this.fc1.forward(h.flatten(1)).relu_();
  }
  /** Class logits [n, 10]. */
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.dropout(this.features(x), 0.5, this.training));
  }
}

export type EvaluatorDataset = 'mnist' | 'fashion-mnist';

/** Where the committed evaluator lives: models/<dataset>-cnn.safetensors and its .json record. */
export const evaluatorPaths = (dataset: EvaluatorDataset, dir = join(packageRoot(), 'models')) => ({
  weights: join(dir, `${dataset}-cnn.safetensors`),
  record: join(dir, `${dataset}-cnn.json`),
});

export interface EvaluatorRecord {
  dataset: EvaluatorDataset;
  sha256: string;
  test_accuracy: number;
  epochs: number;
  seed: number;
  threads: number;
  seconds: number;
  command: string;
}

const rebuild = (d: EvaluatorDataset) => `rebuild it with \`gantry evaluator train --dataset ${d}\` (a few minutes on 2 cores), or restore models/ from git`;

const loaded = new Map<string, MnistCnn>();
/** The committed classifier, checked against its recorded hash; in eval mode. */
export function loadEvaluator(dataset: EvaluatorDataset = 'mnist', dir?: string): MnistCnn {
  const { weights, record } = evaluatorPaths(dataset, dir);
  const key = `${weights}@${getDefaultDevice()}`;
  const hit = loaded.get(key);
  if (hit) return hit;
  if (!existsSync(weights) || !existsSync(record)) throw new Error(`gantry: the ${dataset} evaluator is missing (${weights}): ${rebuild(dataset)}`);
  const rec = JSON.parse(readFileSync(record, 'utf8')) as EvaluatorRecord;
  const actual = fileSha256(weights);
  if (actual !== rec.sha256) throw new Error(`gantry: ${weights} does not match its recorded hash (sha256 ${actual.slice(0, 12)}…, expected ${rec.sha256.slice(0, 12)}…): ${rebuild(dataset)}`);
  // Built on a private stream: its initial weights are overwritten at once, and drawing them from the
  // global generator would shift a training run's randomness depending on whether this process had
  // loaded the classifier before (a resumed image run then differed from an uninterrupted one).
  const net = withSeed(0, () => new MnistCnn());
  scope(() => net.loadStateDict(safetensors.loadFile(weights).tensors));
  net.eval();
  loaded.set(key, net);
  return net;
}

/** Class probabilities [n, 10] of single-channel 28×28 images in [−1, 1], in batches. */
export function classify(net: MnistCnn, x: Tensor, batch = 1000): Tensor {
  return noGrad(() => {
    const parts: Tensor[] = [];
    for (let i = 0; i < x.shape[0]; i += batch) parts.push(net.forward(x.narrow(0, i, Math.min(batch, x.shape[0] - i))).softmax(1));
    return cat(parts, 0);
  });
}

/** Accuracy on a labelled set. */
export function accuracy(net: MnistCnn, set: LabelledImages): number {
  return scope(() => {
    const probs = classify(net, toPixels(set.images).unsqueeze(1));
    return probs.argmax(1).eq(set.labels).to('float32').mean().item();
  });
}

/** Translates a batch of images by up to ±s pixels (the same random shift for the batch), background −1. */
function shift(x: Tensor, s: number): Tensor {
  const [dy, dx] = randint(-s, s + 1, [2]).toNumbers();
  if (dy === 0 && dx === 0) return x;
  const [h, w] = [x.shape[2], x.shape[3]];
  return x.constantPad([s, s, s, s], -1).narrow(2, s - dy, h).narrow(3, s - dx, w);
}

export interface TrainEvaluatorOptions {
  dataset: EvaluatorDataset;
  /** The labelled images it learns from, and the held-out ones its accuracy is measured on. */
  train: LabelledImages;
  test: LabelledImages;
  epochs: number;
  seed: number;
  batchSize: number;
  /** Output folder (default: the committed models/). */
  dir?: string;
  log?: (s: string) => void;
}

/**
 * Adam at 1e-3 for four epochs, then halved every epoch, on shuffled minibatches whose digits are
 * shifted by up to 2 pixels (one random shift per batch). Keras' example uses Adadelta for 12
 * epochs without shifts; here the same network without shifts stalled at 98.91 % after 3 epochs and
 * 99.18 % after 10, short of the 99.2 % the protocol asks for.
 */
export function trainEvaluator(o: TrainEvaluatorOptions): EvaluatorRecord {
  const t0 = performance.now();
  manualSeed(o.seed);
  const { train, test } = o;
  const net = new MnistCnn();
  const opt = new Adam(net.parameters(), { lr: 1e-3 });
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    opt.lr = 1e-3 * 0.5 ** Math.max(0, epoch - 4);
    net.train();
    const order = keep(randperm(train.n));
    let seen = 0;
    let lossSum = 0;
    for (let i = 0; i < train.n; i += o.batchSize) {
      lossSum += scope(() => {
        const idx = order.narrow(0, i, Math.min(o.batchSize, train.n - i));
        const x = shift(toPixels(train.images.indexSelect(0, idx)).unsqueeze(1), 2);
        const loss = F.crossEntropy(net.forward(x), train.labels.indexSelect(0, idx));
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item() * idx.shape[0];
      });
      seen = Math.min(train.n, i + o.batchSize);
    }
    order.dispose();
    net.eval();
    o.log?.(`epoch ${epoch}/${o.epochs}: train loss ${(lossSum / seen).toFixed(4)}, test accuracy ${(100 * accuracy(net, test)).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const acc = accuracy(net, test);
  const { weights, record } = evaluatorPaths(o.dataset, o.dir);
  // Written beside the target and renamed, so a crash never leaves a half-written evaluator.
  writeFileSync(`${weights}.tmp`, safetensors.serialize(net.stateDict(), { gantry: JSON.stringify({ model: 'mnist-cnn', dataset: o.dataset }) }));
  renameSync(`${weights}.tmp`, weights);
  const rec: EvaluatorRecord = {
    dataset: o.dataset,
    sha256: fileSha256(weights),
    test_accuracy: +acc.toFixed(4),
    epochs: o.epochs,
    seed: o.seed,
    threads: engineInfo().threads,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    command: `gantry evaluator train --dataset ${o.dataset} --epochs ${o.epochs} --seed ${o.seed} --batch-size ${o.batchSize}`,
  };
  writeFileSync(record, JSON.stringify(rec, null, 2) + '\n');
  loaded.delete(weights);
  net.dispose();
  return rec;
}
