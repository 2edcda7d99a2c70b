// The MLP family for points: VEEGAN's code uses 2 × 128 ReLU everywhere (docs/PROTOCOLS.md), and so do
// the other synthetic baselines here. Construction order and layer names are those of the
// networks before the families existed, so seeded synthetic runs give the same numbers.
import { points, sampleSize, type DataShape } from '../data/shape.js';
import { Sequential, mlp } from '../nn/index.js';
import { cat, type Tensor } from '../torch/index.js';
import type { Family, Joint } from './family.js';
import { residualLens } from './lens.js';

class JointMLP extends Sequential implements Joint {
  constructor(
    net: Sequential,
    private readonly zFirst: boolean,
  ) {
    super(...net.layers);
  }
  score(x: Tensor, z: Tensor): Tensor {
    return this.forward(cat(this.zFirst ? [z, x] : [x, z], 1));
  }
}

export class MLPFamily implements Family {
  readonly name = 'mlp';
  readonly shape: DataShape;
  constructor(
    readonly dim: number,
    readonly hidden: readonly number[],
  ) {
    this.shape = points(dim);
  }
  static for(shape: DataShape, hidden: readonly number[]): MLPFamily {
    if (shape.kind !== 'points') throw new Error(`the mlp networks take points; these data are images: choose an image network (--preset small-d-quarter, ...)`);
    return new MLPFamily(sampleSize(shape), hidden);
  }
  generator(latent: number) {
    return mlp(latent, this.hidden, this.dim);
  }
  discriminator({ packing = 1 } = {}) {
    return mlp(this.dim * packing, this.hidden, 1);
  }
  encoder(out: number) {
    return mlp(this.dim, this.hidden, out);
  }
  joint(latent: number, { zFirst = false, depth }: { zFirst?: boolean; depth?: number } = {}) {
    const hidden = depth === undefined ? this.hidden : this.hidden.slice(0, depth);
    return new JointMLP(mlp(this.dim + latent, hidden, 1), zFirst);
  }
  autoencoder(code: number) {
    return mlp(this.dim, [...this.hidden, code, ...[...this.hidden].reverse()], this.dim);
  }
  lens({ width = this.hidden[0] ?? 128, blocks = 2 }: { width?: number; blocks?: number } = {}) {
    return residualLens({ size: this.dim, kind: 'linear', width, blocks });
  }
}
