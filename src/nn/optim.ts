// torch.optim: Adam, RMSprop, SGD with momentum. Each update is one fused native call over all
// parameters, following PyTorch's formulas (torch/optim/*.py), so numbers match PyTorch's.
import { fused, keep, noGrad, type Tensor, zerosLike } from '../torch/index.js';

export interface OptimizerState {
  /** Per-parameter buffers, keyed `<index>.<buffer>` in parameter order. */
  tensors: Record<string, Tensor>;
  /** Step count and hyperparameters. */
  meta: Record<string, number | boolean>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  step_ = 0;
  protected readonly buffers: Record<string, Tensor[]> = {};

  constructor(params: Iterable<Tensor>, bufferNames: string[]) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    // torch.optim refuses this too: a parameter listed twice would be stepped twice per step().
    const handles = new Set(this.params.map((p) => p.h));
    if (handles.size !== this.params.length) {
      throw new Error(`${this.constructor.name}: a parameter appears more than once in the list; pass each tensor once (Module.parameters() already drops shared duplicates; parametersOf(...modules) does across modules)`);
    }
    for (const name of bufferNames) this.buffers[name] = this.params.map((p) => keep(noGrad(() => zerosLike(p))));
  }
  /** The learning rate the next step() uses (the divergence guard lowers it). */
  abstract lr: number;
  abstract step(): void;
  protected abstract hyper(): Record<string, number | boolean>;
  protected abstract setHyper(meta: Record<string, number | boolean>): void;

  /** As `optimizer.zero_grad(set_to_none=True)`. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  /** The 2-norm of all the current gradients of this optimizer's parameters. */
  gradNorm(): number {
    return fused.gradNorm(this.params);
  }

  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, ts] of Object.entries(this.buffers)) ts.forEach((t, i) => (tensors[`${i}.${name}`] = t));
    return { tensors, meta: { step: this.step_, ...this.hyper() } };
  }
  loadStateDict(state: OptimizerState): void {
    for (const [name, ts] of Object.entries(this.buffers)) {
      ts.forEach((t, i) => {
        const src = state.tensors[`${i}.${name}`];
        if (!src) throw new Error(`${this.constructor.name}.loadStateDict: missing buffer '${i}.${name}'`);
        if (src.shape.join() !== t.shape.join()) {
          throw new Error(`${this.constructor.name}.loadStateDict: '${i}.${name}' has shape [${src.shape}], expected [${t.shape}]`);
        }
        noGrad(() => t.copy_(src));
      });
    }
    this.step_ = Number(state.meta.step ?? 0);
    this.setHyper(state.meta);
  }
  dispose(): void {
    for (const ts of Object.values(this.buffers)) for (const t of ts) t.dispose();
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}
export class Adam extends Optimizer {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  constructor(params: Iterable<Tensor>, o: AdamOptions = {}) {
    super(params, ['exp_avg', 'exp_avg_sq']);
    this.lr = o.lr ?? 1e-3;
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
  }
  step(): void {
    this.step_++;
    const [beta1, beta2] = this.betas;
    fused.adamStep_(this.params, this.buffers.exp_avg, this.buffers.exp_avg_sq, { step: this.step_, lr: this.lr, beta1, beta2, eps: this.eps, weightDecay: this.weightDecay });
  }
  /** The moments as they stand (detached), to start a functional unroll from; see adamUpdate. */
  moments(): AdamMoments {
    return { expAvg: this.buffers.exp_avg.map((t) => t.detach()), expAvgSq: this.buffers.exp_avg_sq.map((t) => t.detach()), step: this.step_ };
  }
  protected hyper() {
    return { lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay };
  }
  protected setHyper(m: Record<string, number | boolean>) {
    this.lr = Number(m.lr ?? this.lr);
    this.betas = [Number(m.beta1 ?? this.betas[0]), Number(m.beta2 ?? this.betas[1])];
    this.eps = Number(m.eps ?? this.eps);
    this.weightDecay = Number(m.weightDecay ?? this.weightDecay);
  }
}

/** Adam's first and second moments after `step` updates. */
export interface AdamMoments {
  expAvg: Tensor[];
  expAvgSq: Tensor[];
  step: number;
}

/**
 * One Adam update written as tensor operations (torch.optim.Adam's formula, no weight decay), so it
 * stays in the autograd graph: what Unrolled GAN differentiates through (Metz et al. 2017, Eq. 9).
 * Returns the new parameters and moments; the optimizer's own state is not touched. √(v̂ + 1e-16):
 * the shift keeps the square root's derivative finite where v̂ = 0.
 */
export function adamUpdate(params: Tensor[], grads: Tensor[], m: AdamMoments, o: { lr: number; betas: [number, number]; eps: number }): { params: Tensor[]; moments: AdamMoments } {
  const [b1, b2] = o.betas;
  const t = m.step + 1;
  const expAvg = m.expAvg.map((mi, i) => mi.mul(b1).add(grads[i].mul(1 - b1)));
  const expAvgSq = m.expAvgSq.map((vi, i) => vi.mul(b2).add(grads[i].square().mul(1 - b2)));
  const next = params.map((p, i) => p.sub(expAvg[i].div(1 - b1 ** t).div(expAvgSq[i].div(1 - b2 ** t).add(1e-16).sqrt().add(o.eps)).mul(o.lr)));
  return { params: next, moments: { expAvg, expAvgSq, step: t } };
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}
export class RMSprop extends Optimizer {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  constructor(params: Iterable<Tensor>, o: RMSpropOptions = {}) {
    super(params, ['square_avg', 'momentum_buffer', 'grad_avg']);
    this.lr = o.lr ?? 1e-2;
    this.alpha = o.alpha ?? 0.99;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.momentum = o.momentum ?? 0;
    this.centered = o.centered ?? false;
  }
  step(): void {
    this.step_++;
    fused.rmspropStep_(this.params, this.buffers.square_avg, this.buffers.momentum_buffer, this.buffers.grad_avg, this);
  }
  protected hyper() {
    return { lr: this.lr, alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
  }
  protected setHyper(m: Record<string, number | boolean>) {
    this.lr = Number(m.lr ?? this.lr);
    this.alpha = Number(m.alpha ?? this.alpha);
    this.eps = Number(m.eps ?? this.eps);
    this.weightDecay = Number(m.weightDecay ?? this.weightDecay);
    this.momentum = Number(m.momentum ?? this.momentum);
    this.centered = Boolean(m.centered ?? this.centered);
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}
export class SGD extends Optimizer {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  constructor(params: Iterable<Tensor>, o: SGDOptions) {
    super(params, ['momentum_buffer']);
    this.lr = o.lr;
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum requires momentum > 0 and dampening = 0');
    }
  }
  step(): void {
    this.step_++;
    fused.sgdStep_(this.params, this.buffers.momentum_buffer, { ...this.hyper(), first: this.step_ === 1 });
  }
  protected hyper() {
    return { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }
  protected setHyper(m: Record<string, number | boolean>) {
    this.lr = Number(m.lr ?? this.lr);
    this.momentum = Number(m.momentum ?? this.momentum);
    this.dampening = Number(m.dampening ?? this.dampening);
    this.weightDecay = Number(m.weightDecay ?? this.weightDecay);
    this.nesterov = Boolean(m.nesterov ?? this.nesterov);
  }
}

/** The parameters of several modules, each tensor once (a module shared by two networks counts once). */
export function parametersOf(...modules: { parameters(): Tensor[] }[]): Tensor[] {
  return [...new Set(modules.flatMap((m) => m.parameters()))];
}

/** WGAN's weight clipping (Arjovsky et al. 2017, Algorithm 1): every parameter into [-c, c]. */
export function clipWeights(params: Iterable<Tensor>, c: number): void {
  noGrad(() => {
    for (const p of params) p.clamp_(-c, c);
  });
}
