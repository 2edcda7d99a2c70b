// The lens of Tempered Adversarial Networks (Sajjadi et al. 2018, docs/PROTOCOLS.md): a residual
// network L applied to real data before the discriminator sees it, with a skip from its input to its
// output, L(x) = x + R(x).
//   images: conv 32 3×3 + leaky ReLU, 8 residual blocks [conv 32, leaky ReLU, conv 32] with skips,
//           conv → channels; 3×3 stride 1 throughout.
//   points: the same with linear layers of the family's first hidden width and 2 residual blocks.
// R's last layer starts at zero, so a fresh lens is the identity: the wrapped objective starts
// where it would be without the lens, and the adversarial term is what moves it away.
import { Conv2d, LeakyReLU, Linear, Module, Sequential, init } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';

class Residual extends Module {
  constructor(readonly inner: Module) {
    super();
    this.registerModule('inner', inner);
  }
  forward(x: Tensor): Tensor {
    return x.add(this.inner.forward(x));
  }
}

export interface LensSpec {
  /** Input channels (images) or features (points). */
  size: number;
  /** Convolutions (images) or linear layers (points). */
  kind: 'conv' | 'linear';
  width: number;
  blocks: number;
}

export function residualLens({ size, kind, width, blocks }: LensSpec): Module {
  const layer = (i: number, o: number) => (kind === 'conv' ? new Conv2d(i, o, 3, { padding: 1 }) : new Linear(i, o));
  const last = layer(width, size);
  init.zeros_(last.weight);
  if (last.bias) init.zeros_(last.bias);
  const body = new Sequential(
    layer(size, width),
    LeakyReLU(0.2),
    ...Array.from({ length: blocks }, () => new Residual(new Sequential(layer(width, width), LeakyReLU(0.2), layer(width, width)))),
    last,
  );
  return new Residual(body);
}
