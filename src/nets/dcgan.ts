// The DCGAN family for images, with the three pinned architectures (docs/PROTOCOLS.md, "Images"):
//   small-d (Unrolled GAN / PacGAN Table 3): G linear z → 4×4×64, BN, ReLU; 3×3 stride-2 deconvs
//     → 7×7×32 → 14×14×16 → 28×28×8, BN + ReLU each; 3×3 conv → channels, tanh. D three 3×3
//     stride-2 convs, BN except on the first, leaky ReLU 0.3, linear → 1; channels (2, 4, 8) for
//     D = ¼G, (4, 8, 16) for D = ½G.
//   veegan (VEEGAN Table 2 / PacGAN Table 2): width 64, 5×5 kernels, G linear z → 2×2×512, deconvs
//     256 → 128 → 64 → channels; D convs 64-128-256-512, leaky ReLU 0.2.
//   lens (Tempered Adversarial Networks, appendix): width C, 4×4 kernels, G dense 4C·4·4, deconvs
//     2C → C → channels; D convs C, 2C, 4C, dense 16C, dense 1; Xavier initialisation.
// Spatial sizes follow the image: each deconv doubles (output padding picks 7 from 4, 28 from 14),
// each conv halves (rounding up), so 28×28, 32×32 and 28×84 images all work.
import type { DataShape } from '../data/shape.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Flatten,
  LeakyReLU,
  Linear,
  Module,
  ReLU,
  Sequential,
  Tanh,
  Unflatten,
  init,
} from '../nn/index.js';
import { cat, type Tensor } from '../torch/index.js';
import type { Family, GeneratorOptions, Joint } from './family.js';
import { residualLens } from './lens.js';

export interface DcganSpec {
  name: string;
  /** Kernel size and padding of every (de)convolution; stride 2 throughout. */
  kernel: number;
  padding: number;
  /** G's feature maps, from the first (after the linear layer) to the last hidden one. */
  gChannels: number[];
  /** small-d ends with a stride-1 conv to the image channels; the others' last deconv outputs them. */
  finalConv: boolean;
  /** D's conv channels. */
  dChannels: number[];
  /** A dense hidden layer before D's output (the lens paper's 16C). */
  dHidden?: number;
  leak: number;
  /** dcgan: weights N(0, 0.02), BN scale N(1, 0.02), biases 0 (the DCGAN convention); xavier: Glorot uniform, biases 0. */
  init: 'dcgan' | 'xavier';
}

export const DCGAN_SPECS: Record<string, DcganSpec> = {
  'small-d-quarter': { name: 'small-d-quarter', kernel: 3, padding: 1, gChannels: [64, 32, 16, 8], finalConv: true, dChannels: [2, 4, 8], leak: 0.3, init: 'dcgan' },
  'small-d-half': { name: 'small-d-half', kernel: 3, padding: 1, gChannels: [64, 32, 16, 8], finalConv: true, dChannels: [4, 8, 16], leak: 0.3, init: 'dcgan' },
  veegan: { name: 'veegan', kernel: 5, padding: 2, gChannels: [512, 256, 128, 64], finalConv: false, dChannels: [64, 128, 256, 512], leak: 0.2, init: 'dcgan' },
  lens: { name: 'lens', kernel: 4, padding: 1, gChannels: [256, 128, 64], finalConv: false, dChannels: [64, 128, 256], dHidden: 1024, leak: 0.2, init: 'xavier' },
};

/** Joint (x, z) discriminator for images: D's conv features of x, concatenated with z, then an MLP. */
class JointConv extends Module implements Joint {
  constructor(
    readonly features: Module,
    readonly head: Module,
    private readonly zFirst: boolean,
  ) {
    super();
    this.registerModule('features', features);
    this.registerModule('head', head);
  }
  forward(): Tensor {
    throw new Error('a joint discriminator scores (x, z) pairs: call score(x, z)');
  }
  score(x: Tensor, z: Tensor): Tensor {
    const f = this.features.forward(x);
    return this.head.forward(cat(this.zFirst ? [z, f] : [f, z], 1));
  }
}

export class DcganFamily implements Family {
  readonly name: string;
  constructor(
    readonly shape: DataShape & { kind: 'image' },
    readonly spec: DcganSpec,
  ) {
    this.name = spec.name;
    const { height, width } = shape;
    // Fail at construction, not at the first forward pass, when the kernels cannot reach the size.
    this.upsampling(height);
    this.upsampling(width);
  }
  static for(shape: DataShape, spec: DcganSpec): DcganFamily {
    if (shape.kind !== 'image') throw new Error(`the ${spec.name} networks take images; these data are points: use the mlp networks`);
    return new DcganFamily(shape, spec);
  }

  private get deconvs(): number {
    return this.spec.gChannels.length - (this.spec.finalConv ? 1 : 0);
  }
  /** Sizes from G's first feature map to the image along one axis, and each deconv's output padding. */
  private upsampling(size: number): { sizes: number[]; outputPadding: number[] } {
    const sizes = [size];
    for (let i = 0; i < this.deconvs; i++) sizes.unshift(Math.ceil(sizes[0] / 2));
    const { kernel: k, padding: p } = this.spec;
    const outputPadding = sizes.slice(1).map((s, i) => s - ((sizes[i] - 1) * 2 - 2 * p + k));
    if (outputPadding.some((op) => op < 0 || op > 1)) {
      throw new Error(`the ${this.spec.name} networks (${k}×${k} kernels) cannot produce ${size} pixels by doubling from ${sizes[0]}: choose another network for this image size`);
    }
    return { sizes, outputPadding };
  }
  private convSizes(size: number, layers: number): number {
    const { kernel: k, padding: p } = this.spec;
    for (let i = 0; i < layers; i++) size = Math.floor((size + 2 * p - k) / 2) + 1;
    return size;
  }

  private initialise<M extends Module>(net: M): M {
    for (const m of net.modules()) {
      if (m instanceof Linear || m instanceof Conv2d || m instanceof ConvTranspose2d) {
        if (this.spec.init === 'dcgan') init.normal_(m.weight, 0, 0.02);
        else init.xavierUniform_(m.weight);
        if (m.bias) init.zeros_(m.bias);
      } else if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
        if (m.weight && this.spec.init === 'dcgan') init.normal_(m.weight, 1, 0.02);
        if (m.bias) init.zeros_(m.bias);
      }
    }
    return net;
  }

  generator(latent: number, { bnStreams = 1 }: GeneratorOptions = {}): Module {
    const { kernel: k, padding: p, gChannels, finalConv } = this.spec;
    const { channels, height, width } = this.shape;
    const h = this.upsampling(height);
    const w = this.upsampling(width);
    const c0 = gChannels[0];
    const bn = { streams: bnStreams };
    const layers: Module[] = [new Linear(latent, c0 * h.sizes[0] * w.sizes[0]), Unflatten(c0, h.sizes[0], w.sizes[0]), new BatchNorm2d(c0, bn), ReLU({ inplace: true })];
    const outs = finalConv ? gChannels.slice(1) : [...gChannels.slice(1), channels];
    outs.forEach((out, i) => {
      layers.push(new ConvTranspose2d(gChannels[i], out, k, { stride: 2, padding: p, outputPadding: [h.outputPadding[i], w.outputPadding[i]] }));
      if (i < outs.length - 1 || finalConv) layers.push(new BatchNorm2d(out, bn), ReLU({ inplace: true }));
    });
    if (finalConv) layers.push(new Conv2d(gChannels[gChannels.length - 1], channels, k, { padding: (k - 1) >> 1 }));
    layers.push(Tanh());
    return this.initialise(new Sequential(...layers));
  }

  /** D's convolutions: x → flattened features, and how many there are. */
  private convBody(inChannels: number): { body: Sequential; features: number } {
    const { kernel: k, padding: p, dChannels, leak } = this.spec;
    const layers: Module[] = [];
    dChannels.forEach((c, i) => {
      layers.push(new Conv2d(i === 0 ? inChannels : dChannels[i - 1], c, k, { stride: 2, padding: p }));
      if (i > 0) layers.push(new BatchNorm2d(c));
      layers.push(LeakyReLU(leak));
    });
    layers.push(Flatten());
    const { height, width } = this.shape;
    const features = dChannels[dChannels.length - 1] * this.convSizes(height, dChannels.length) * this.convSizes(width, dChannels.length);
    return { body: new Sequential(...layers), features };
  }

  discriminator({ packing = 1 } = {}): Module {
    const { body, features } = this.convBody(this.shape.channels * packing);
    const { dHidden, leak } = this.spec;
    const head = dHidden ? [new Linear(features, dHidden), LeakyReLU(leak), new Linear(dHidden, 1)] : [new Linear(features, 1)];
    return this.initialise(new Sequential(...body.layers, ...head));
  }

  encoder(out: number): Module {
    const { body, features } = this.convBody(this.shape.channels);
    return this.initialise(new Sequential(...body.layers, new Linear(features, out)));
  }

  joint(latent: number, { zFirst = false }: { zFirst?: boolean; depth?: number } = {}): Joint {
    const { body, features } = this.convBody(this.shape.channels);
    // Our choice (the papers' image joint discriminators are much larger): one hidden layer of 256.
    const head = new Sequential(new Linear(features + latent, 256), LeakyReLU(this.spec.leak), new Linear(256, 1));
    return this.initialise(new JointConv(body, head, zFirst));
  }

  autoencoder(code: number): Module {
    return new Sequential(this.encoder(code), this.generator(code));
  }

  lens({ width = 32, blocks = 8 }: { width?: number; blocks?: number } = {}): Module {
    return residualLens({ size: this.shape.channels, kind: 'conv', width, blocks });
  }
}

