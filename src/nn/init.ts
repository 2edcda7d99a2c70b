// torch.nn.init: in-place initialisers, run without autograd (as torch.nn.init does under no_grad).
import { noGrad, type Tensor } from '../torch/index.js';

export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new Error(`fan in/out need at least 2 dimensions, got shape [${s}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1] * receptive, fanOut: s[0] * receptive };
}

export type Nonlinearity = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid';
/** torch.nn.init.calculate_gain */
export function gain(nonlinearity: Nonlinearity, param = 0.01): number {
  switch (nonlinearity) {
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + param * param));
    case 'tanh':
      return 5 / 3;
    default:
      return 1;
  }
}

export const zeros_ = (t: Tensor) => noGrad(() => t.zero_());
export const constant_ = (t: Tensor, v: number) => noGrad(() => t.fill_(v));
export const normal_ = (t: Tensor, mean = 0, std = 1) => noGrad(() => t.normal_(mean, std));
export const uniform_ = (t: Tensor, a = 0, b = 1) => noGrad(() => t.uniform_(a, b));

export function xavierUniform_(t: Tensor, g = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const a = g * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}
export function xavierNormal_(t: Tensor, g = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, 0, g * Math.sqrt(2 / (fanIn + fanOut)));
}
export interface KaimingOptions {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}
function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const f = fans(t);
  const fan = o.mode === 'fan_out' ? f.fanOut : f.fanIn;
  return gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return uniform_(t, -bound, bound);
}
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, o));
}
/** PyTorch's default for Linear and Conv layers: kaiming_uniform(a=√5) weights, U(±1/√fan_in) bias. */
export function pytorchDefault_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight).fanIn);
    uniform_(bias, -bound, bound);
  }
}
