// `gantry evaluator train`: the counting classifier, retrained deterministically.
import { Command, Option } from 'commander';
import { loadFashionMnist, loadMnist } from '../data/index.js';
import { evaluatorPaths, trainEvaluator } from '../evaluator/mnist-cnn.js';
import { int } from './parsers.js';

export function addEvaluatorCommands(program: Command): void {
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
}
