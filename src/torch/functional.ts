// torch.nn.functional in camelCase. Shape and dtype errors come from libtorch with its message.
import { N } from './native.js';
import { type Reduction, Tensor, keep, wrap } from './tensor.js';
import { cat, stack, tensor, zeros } from './creation.js';
import { noGrad } from './autograd.js';

const pair = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v, v] : [...v]);

export const relu = (x: Tensor) => x.relu();
export const leakyRelu = (x: Tensor, negativeSlope = 0.01) => x.leakyRelu(negativeSlope);
export const elu = (x: Tensor, alpha = 1) => x.elu(alpha);
export const tanh = (x: Tensor) => x.tanh();
export const sigmoid = (x: Tensor) => x.sigmoid();
export const softplus = (x: Tensor, beta = 1, threshold = 20) => x.softplus(beta, threshold);
export const logSigmoid = (x: Tensor) => x.logSigmoid();
export const softmax = (x: Tensor, dim: number) => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number) => x.logSoftmax(dim);

/** y = x Wᵀ + b */
export const linear = (x: Tensor, weight: Tensor, bias?: Tensor | null) => wrap(N.linear(x.h, weight.h, bias?.h ?? null));

export interface ConvOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions = {}): Tensor {
  return wrap(N.conv2d(x.h, weight.h, bias?.h ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1));
}
export type ConvTransposeOptions = ConvOptions & { outputPadding?: number | readonly number[] };

/**
 * As F.conv_transpose2d. Stride-2 layers on the CPU (every DCGAN generator layer) take the
 * sub-pixel route: libtorch's CPU transposed convolution is its slow reference path
 * (aten::slow_conv_transpose2d, 74 % of a small-d step), while one regular convolution with 4× the
 * output channels (one per output phase, channels-last on oneDNN) followed by the native
 * crop-and-shuffle gives the same numbers. GANTRY_CONV_TRANSPOSE=libtorch selects libtorch's path
 * everywhere.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvTransposeOptions = {}): Tensor {
  const [stride, padding, outputPadding, dilation] = [pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.outputPadding ?? 0), pair(o.dilation ?? 1)];
  const byPhase =
    CONV_TRANSPOSE !== 'libtorch' && stride[0] === 2 && stride[1] === 2 && dilation[0] === 1 && dilation[1] === 1 && (o.groups ?? 1) === 1 && x.ndim === 4 && x.device === 'cpu';
  if (byPhase && CONV_TRANSPOSE === 'phases') return convTranspose2dPhases(x, weight, bias ?? null, padding, outputPadding);
  if (byPhase) return convTranspose2dSubPixel(x, weight, bias ?? null, padding, outputPadding);
  return wrap(N.convTranspose2d(x.h, weight.h, bias?.h ?? null, stride, padding, outputPadding, o.groups ?? 1, dilation));
}
/** subpixel (default), phases (four exact-tap convolutions), libtorch. */
const CONV_TRANSPOSE = process.env.GANTRY_CONV_TRANSPOSE ?? 'subpixel';

/**
 * The four output phases as four convolutions with exactly their taps (1×1, 1×2, 2×1 and 2×2 for a
 * 3×3 kernel: 9 multiply-adds per input value, where the sub-pixel route's shared 2×2 kernels do 16),
 * stacked and pixel-shuffled into place.
 */
export function convTranspose2dPhases(x: Tensor, weight: Tensor, bias: Tensor | null, padding: number[], outputPadding: number[]): Tensor {
  const [n, cin, hIn, wIn] = x.shape;
  const [wIn_, cout, kh, kw] = weight.shape;
  if (wIn_ !== cin) throw new Error(`conv_transpose2d: input has ${cin} channels but the weight expects ${wIn_}`);
  const outH = (hIn - 1) * 2 - 2 * padding[0] + kh + outputPadding[0];
  const outW = (wIn - 1) * 2 - 2 * padding[1] + kw + outputPadding[1];
  const [mh, mw] = [Math.ceil(outH / 2), Math.ceil(outW / 2)];
  // Along one axis, phase a's taps t (those with t ≡ a + p mod 2), by input offset d = (a + p − t) / 2 ascending.
  const axis = (k: number, p: number, size: number, m: number) =>
    [0, 1].map((a) => {
      const ts = Array.from({ length: k }, (_, t) => t).filter((t) => (t - a - p) % 2 === 0).reverse();
      const dMin = (a + p - ts[0]) / 2;
      // Rows dMin … m − 1 + dMax of x: conv2d's symmetric padding, then the rows this phase reads.
      const [before, after] = [Math.max(0, -dMin), Math.max(0, m - 1 + dMin + ts.length - 1 - (size - 1))];
      return { ts, pad: Math.max(before, after), start: Math.max(before, after) + dMin };
    });
  const [rows, cols] = [axis(kh, padding[0], hIn, mh), axis(kw, padding[1], wIn, mw)];
  if ([...rows, ...cols].some((r) => r.ts.length === 0 || r.start < 0)) return convTranspose2dSubPixel(x, weight, bias, padding, outputPadding);
  const wt = weight.transpose(0, 1);
  const phases: Tensor[] = [];
  for (const r of rows) {
    for (const c of cols) {
      const K = wt.indexSelect(2, cachedIndex(r.ts)).indexSelect(3, cachedIndex(c.ts));
      const y = conv2d(x, K, null, { padding: [r.pad, c.pad] });
      phases.push(y.narrow(2, r.start, mh).narrow(3, c.start, mw));
    }
  }
  let y = pixelShuffle(stack(phases, 2).view(n, cout * 4, mh, mw), 2);
  if (y.shape[2] !== outH || y.shape[3] !== outW) y = y.narrow(2, 0, outH).narrow(3, 0, outW);
  return bias ? y.add(bias.view(1, -1, 1, 1)) : y;
}
/** An int64 index tensor made once per list of values and kept (the kernels' gathers). */
const indexCache = new Map<string, Tensor>();
function cachedIndex(values: number[]): Tensor {
  const key = values.join(',');
  let t = indexCache.get(key);
  if (!t) indexCache.set(key, (t = keep(noGrad(() => tensor(values).to('int64')))));
  return t;
}

/**
 * Along one axis, a stride-2 transposed convolution writes y[2m + a] = Σ_t x[m + d] · W[t] over the
 * taps t ≡ a + p (mod 2), with input offset d = (a + p − t) / 2. Taking the offsets of both phases
 * together, [dMin, dMax], each phase is a correlation with a kernel of L = dMax − dMin + 1 taps
 * (zeros where the phase has none): `tap[a][j]` is the tap at offset dMin + j, or −1.
 */
function phaseTaps(k: number, p: number): { dMin: number; L: number; tap: number[][] } {
  const offsets = [0, 1].flatMap((a) => Array.from({ length: k }, (_, t) => t).filter((t) => (t - a - p) % 2 === 0).map((t) => (a + p - t) / 2));
  const dMin = Math.min(...offsets);
  const L = Math.max(...offsets) - dMin + 1;
  const tap = [0, 1].map((a) => Array.from({ length: L }, (_, j) => {
    const t = a + p - 2 * (dMin + j);
    return t >= 0 && t < k ? t : -1;
  }));
  return { dMin, L, tap };
}

/** Where each entry of the phase kernels comes from in the flattened k×k kernel (k·k = a zero). */
function kernelIndex(kh: number, kw: number, th: ReturnType<typeof phaseTaps>, tw: ReturnType<typeof phaseTaps>): Tensor {
  const v: number[] = [];
  for (const ah of [0, 1]) for (const aw of [0, 1]) for (let i = 0; i < th.L; i++) for (let j = 0; j < tw.L; j++) {
    const [a, b] = [th.tap[ah][i], tw.tap[aw][j]];
    v.push(a < 0 || b < 0 ? kh * kw : a * kw + b);
  }
  return cachedIndex(v);
}

export function convTranspose2dSubPixel(x: Tensor, weight: Tensor, bias: Tensor | null, padding: number[], outputPadding: number[]): Tensor {
  const [, cin, hIn, wIn] = x.shape;
  const [wIn_, cout, kh, kw] = weight.shape;
  if (wIn_ !== cin) throw new Error(`conv_transpose2d: input has ${cin} channels but the weight expects ${wIn_}`);
  const outH = (hIn - 1) * 2 - 2 * padding[0] + kh + outputPadding[0];
  const outW = (wIn - 1) * 2 - 2 * padding[1] + kw + outputPadding[1];
  const th = phaseTaps(kh, padding[0]);
  const tw = phaseTaps(kw, padding[1]);
  // Phase kernels, one regular conv weight [cout·4, cin, Lh, Lw], channel = c·4 + phase (pixel_shuffle's order).
  const flat = cat([weight.permute(1, 0, 2, 3).reshape(cout, cin, kh * kw), zeros([cout, cin, 1], { dtype: weight.dtype })], 2);
  const K = flat.indexSelect(2, kernelIndex(kh, kw, th, tw)).view(cout, cin, 4, th.L, tw.L).permute(0, 2, 1, 3, 4).reshape(cout * 4, cin, th.L, tw.L);
  // Output positions per phase, and the input rows/columns they read: [dMin, M − 1 + dMax].
  const [mh, mw] = [Math.ceil(outH / 2), Math.ceil(outW / 2)];
  const pads = [-tw.dMin, mw + tw.dMin + tw.L - 1 - wIn, -th.dMin, mh + th.dMin + th.L - 1 - hIn];
  if (pads.every((v) => v >= 0)) {
    // The input padded by exactly the rows and columns the phases read (one native pass, which also
    // moves it to channels-last), the phase convolution unpadded on it (channels-last: oneDNN then
    // reorders neither its output nor that output's gradient), and the native crop-and-shuffle
    // reading that output in place: it interleaves the phases, crops to the output size and adds the
    // bias in one pass, writing y in NCHW.
    const phases = wrap(N.conv2dPaddedChannelsLast(x.h, K.h, null, pads));
    return wrap(N.cropShuffle(phases.h, 2, 0, 0, outH, outW, bias?.h ?? null));
  }
  // Crop where the phases read less than the input (large padding): narrow, then pad the rest.
  const [l, r, t, b] = pads.map((v) => Math.min(v, 0));
  let xp = x.narrow(3, -l, wIn + l + r).narrow(2, -t, hIn + t + b);
  if (pads.some((v) => v > 0)) xp = xp.constantPad(pads.map((v) => Math.max(v, 0)), 0);
  return wrap(N.cropShuffle(conv2d(xp, K).h, 2, 0, 0, outH, outW, bias?.h ?? null));
}
export const maxPool2d = (x: Tensor, kernel: number | number[], stride?: number | number[], padding: number | number[] = 0) =>
  wrap(N.maxPool2d(x.h, pair(kernel), pair(stride ?? kernel), pair(padding)));
export const avgPool2d = (x: Tensor, kernel: number | number[], stride?: number | number[], padding: number | number[] = 0) =>
  wrap(N.avgPool2d(x.h, pair(kernel), pair(stride ?? kernel), pair(padding)));

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch normalisation over dim 1; in training, updates the running statistics in place. */
export function batchNorm(x: Tensor, o: BatchNormOptions = {}): Tensor {
  return wrap(
    N.batchNorm(x.h, o.weight?.h ?? null, o.bias?.h ?? null, o.runningMean?.h ?? null, o.runningVar?.h ?? null, o.training ?? true, o.momentum ?? 0.1, o.eps ?? 1e-5),
  );
}
/** [n, c·r², h, w] → [n, c, h·r, w·r] (torch.nn.functional.pixel_shuffle). */
export const pixelShuffle = (x: Tensor, r: number) => wrap(N.pixelShuffle(x.h, r));
/** Bilinear resize of [n, c, h, w] to `size` = [h', w'] (F.interpolate(mode='bilinear', align_corners=False)). */
export const interpolateBilinear = (x: Tensor, size: number[]) => wrap(N.interpolateBilinear(x.h, size, false));
export const dropout = (x: Tensor, p = 0.5, training = true) => wrap(N.dropout(x.h, p, training));

/** Binary cross-entropy on logits (numerically stable), as F.binary_cross_entropy_with_logits. */
export const bceWithLogits = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean', weight?: Tensor) =>
  wrap(N.bceWithLogits(logits.h, target.h, weight?.h ?? null, reduction));
export const binaryCrossEntropy = (probs: Tensor, target: Tensor, reduction: Reduction = 'mean') =>
  wrap(N.bce(probs.h, target.h, null, reduction));
export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean') => wrap(N.mseLoss(input.h, target.h, reduction));
export const l1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean') => wrap(N.l1Loss(input.h, target.h, reduction));
/** Cross-entropy from logits and int64 class indices. */
export const crossEntropy = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean') =>
  wrap(N.crossEntropy(logits.h, target.h, reduction));
export const nllLoss = (logProbs: Tensor, target: Tensor, reduction: Reduction = 'mean') => wrap(N.nllLoss(logProbs.h, target.h, reduction));
