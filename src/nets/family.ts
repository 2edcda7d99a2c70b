// Networks by role. A method never builds a network itself: it asks the family chosen for the data's
// shape for a generator, a discriminator, an encoder, a joint (x, z) discriminator or an
// autoencoder, so the same method file trains on 2D points and on Stacked-MNIST. A test can hand a
// method a tiny family of its own.
import type { DataShape } from '../data/shape.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';

/** A discriminator on (x, z) pairs (ALI, BiGAN, VEEGAN): one score per pair, shape [n, 1]. */
export interface Joint extends Module {
  score(x: Tensor, z: Tensor): Tensor;
}

export interface GeneratorOptions {
  /**
   * Separate BatchNorm statistics for this many input streams, sharing the affine parameters
   * (Mode-regularized GANs, appendix B: noise batches and encoder batches); select with useStream().
   */
  bnStreams?: number;
}

export interface Family {
  /** The family's name as configurations spell it (mlp, small-d-quarter, veegan, ...). */
  readonly name: string;
  readonly shape: DataShape;
  /** z [n, latent] → x [n, ...shape]. */
  generator(latent: number, o?: GeneratorOptions): Module;
  /** x [n, ...shape] → one logit or score per sample, [n, 1]; packing m concatenates m samples (PacGAN). */
  discriminator(o?: { packing?: number }): Module;
  /** x [n, ...shape] → [n, out] (ALI's and BiGAN's encoder, VEEGAN's reconstructor). */
  encoder(out: number): Module;
  /**
   * A discriminator on (x, z) pairs. `zFirst` orders the concatenated input as VEEGAN's code does
   * ((z, x)); `depth: 1` asks for VEEGAN's single hidden layer where the family has a choice.
   */
  joint(latent: number, o?: { zFirst?: boolean; depth?: number }): Joint;
  /** x → x through a bottleneck of `code` numbers (EBGAN's and BEGAN's discriminator). */
  autoencoder(code: number): Module;
  /**
   * x → x, a residual network that starts as the identity (the lens of Tempered Adversarial Networks);
   * `width` and `blocks` default to the paper's (32 and 8 for images; the hidden width and 2 for points).
   */
  lens(o?: { width?: number; blocks?: number }): Module;
}
