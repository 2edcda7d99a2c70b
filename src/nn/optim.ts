// torch.optim: Adam, RMSprop, SGD with momentum. Each update is one fused native call over all
// parameters, following PyTorch's formulas (torch/optim/*.py), so numbers match PyTorch's.
import { N, type Handle } from '../torch/native.js';
import { keep, noGrad, type Tensor, zerosLike } from '../torch/index.js';

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
  protected h(name: string): Handle[] {
    return this.buffers[name].map((t) => t.h);
  }
  /** The 2-norm of all the current gradients of this optimizer's parameters. */
  gradNorm(): number {
    return N.gradNorm(this.paramHandles);
  }
  protected get paramHandles(): Handle[] {
    return this.params.map((p) => p.h);
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
    N.adamStep(this.paramHandles, this.h('exp_avg'), this.h('exp_avg_sq'), this.step_, this.lr, this.betas[0], this.betas[1], this.eps, this.weightDecay);
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
    N.rmspropStep(this.paramHandles, this.h('square_avg'), this.h('momentum_buffer'), this.h('grad_avg'), this.lr, this.alpha, this.eps, this.weightDecay, this.momentum, this.centered);
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
    N.sgdStep(this.paramHandles, this.h('momentum_buffer'), this.lr, this.momentum, this.dampening, this.weightDecay, this.nesterov, this.step_ === 1);
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
