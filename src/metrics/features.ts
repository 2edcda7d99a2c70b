// The feature space of the MNIST-family image metrics: the counting classifier's 128-d penultimate
// layer (src/evaluator/mnist-cnn.ts), read digit by digit. Stacked-MNIST concatenates its three
// channels' features (384-d; 32×32 Color MNIST is center-cropped to 28×28 first), compositional
// MNIST its three side-by-side digits; Fashion-MNIST has its own classifier. Every score computed in
// this space carries its name: "FID-MNIST-CNN", never bare "FID".
//
// The same pass gives the classifier's label probabilities over the data's labels (10 classes, or the
// 1000 three-digit ids as the product of the three digits' probabilities) for the Inception-style
// and MODE scores, and the training data's label distribution p(y) those scores compare against.
import { loadEvaluator, type EvaluatorDataset, type MnistCnn } from '../evaluator/mnist-cnn.js';
import { COMPOSITIONAL_DIGIT_WEIGHTS, type ImageDatasetName } from '../data/images.js';
import { loadFashionMnist, loadMnist } from '../data/mnist.js';
import { cat, noGrad, scope, type Tensor } from '../torch/index.js';
import { digitsOf } from './digits.js';
import { productModes, type DigitLayout } from '../data/modes.js';

export interface FeatureSpace {
  /** Goes into every metric name: FID-MNIST-CNN, KID-FASHION-CNN, … */
  name: 'MNIST-CNN' | 'FASHION-CNN';
  dim: number;
  /** Number of labels of the label-based scores (10 or 1000). */
  labels: number;
  /** p(y) of the training data over those labels. */
  trainLabels: number[];
  /** Features [n, dim] and label probabilities [n, labels] of images [n, c, h, w] in [−1, 1], batched. */
  read(x: Tensor, batch?: number): { features: Tensor; probs: Tensor };
}

const layouts: Record<ImageDatasetName, { evaluator: EvaluatorDataset; layout: DigitLayout }> = {
  mnist: { evaluator: 'mnist', layout: 'single' },
  'fashion-mnist': { evaluator: 'fashion-mnist', layout: 'single' },
  'stacked-mnist': { evaluator: 'mnist', layout: 'channels' },
  'color-mnist': { evaluator: 'mnist', layout: 'channels' },
  'compositional-mnist': { evaluator: 'mnist', layout: 'side-by-side' },
};

/** Class frequencies of a training set's labels. */
function labelFrequencies(dataset: EvaluatorDataset): number[] {
  return scope(() => {
    const labels = (dataset === 'mnist' ? loadMnist('train') : loadFashionMnist('train')).labels;
    const counts = labels.bincount(10).toNumbers();
    const n = labels.shape[0];
    return counts.map((c) => c / n);
  });
}

/**
 * The feature space for a dataset of the MNIST family. p(y): MNIST's (Fashion-MNIST's) training label
 * frequencies; Stacked-MNIST's triples are independent training digits, so the product of those;
 * compositional MNIST's pinned digit weights (∝ d + 1), multiplied out.
 */
export function featureSpaceFor(dataset: string): FeatureSpace {
  const spec = layouts[dataset as ImageDatasetName];
  if (!spec) {
    throw new Error(
      `invalid reference '${dataset}': the image metrics use the counting classifier's features, which exist for ${Object.keys(layouts).join(', ')}`,
    );
  }
  const net = loadEvaluator(spec.evaluator);
  const perImage = spec.layout === 'single' ? 1 : 3;
  const freq = spec.layout === 'side-by-side' ? COMPOSITIONAL_DIGIT_WEIGHTS : labelFrequencies(spec.evaluator);
  return {
    name: spec.evaluator === 'mnist' ? 'MNIST-CNN' : 'FASHION-CNN',
    dim: 128 * perImage,
    labels: 10 ** perImage,
    trainLabels: perImage === 1 ? freq : productModes(freq),
    read: (x, batch = 1000) => readFeatures(net, x, spec.layout, batch),
  };
}

function readFeatures(net: MnistCnn, x: Tensor, layout: DigitLayout, batch: number): { features: Tensor; probs: Tensor } {
  const features: Tensor[] = [];
  const probs: Tensor[] = [];
  noGrad(() => {
    for (let i = 0; i < x.shape[0]; i += batch) {
      const [f, p] = scope(() => {
        const part = x.narrow(0, i, Math.min(batch, x.shape[0] - i));
        const { digits, perImage } = digitsOf(part, layout);
        const n = part.shape[0];
        const h = net.features(digits);
        const pd = net.fc2.forward(h).softmax(1).view(n, perImage, 10);
        let pk = pd.select(1, 0);
        // Three digits: p(id = 100a + 10b + c | x) = p(a) p(b) p(c), flattened in id order.
        for (let j = 1; j < perImage; j++) pk = pk.unsqueeze(2).mul(pd.select(1, j).unsqueeze(1)).reshape(n, -1);
        return [h.reshape(n, perImage * 128), pk];
      });
      features.push(f);
      probs.push(p);
    }
  });
  return { features: cat(features, 0), probs: cat(probs, 0) };
}
