// torch.nn.Module: named parameters, buffers and children; train/eval; state dicts.
import { isDType, keep, noGrad, type Device, type DType, type Tensor } from '../torch/index.js';

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** Registers a trainable tensor; it is kept out of scopes and lives as long as the module. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    keep(t).requiresGrad_(true);
    this.params.set(name, t);
    return t;
  }
  protected registerBuffer(name: string, t: Tensor): Tensor {
    keep(t);
    this.buffers.set(name, t);
    return t;
  }
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }
  /** This module and every submodule, each once even when shared. */
  *modules(seen = new Set<Module>()): Generator<Module> {
    if (seen.has(this)) return;
    seen.add(this);
    yield this;
    for (const c of this.children.values()) yield* c.modules(seen);
  }
  /**
   * Every parameter once, under the first name that reaches it: a module or tensor shared by two
   * submodules (a classifier head on a discriminator's body) is one set of parameters, as in PyTorch.
   */
  namedParameters(prefix = ''): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.allNamedParameters(prefix).filter(([, t]) => !seen.has(t) && seen.add(t));
  }
  private allNamedParameters(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.params].map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.children) out.push(...c.allNamedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.allNamedBuffers(prefix).filter(([, t]) => !seen.has(t) && seen.add(t));
  }
  private allNamedBuffers(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.buffers].map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.children) out.push(...c.allNamedBuffers(`${prefix}${n}.`));
    return out;
  }
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.numel(), 0);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): StateDict {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }
  /** Copies values in place; shapes must match. With strict, missing or unexpected keys are errors. */
  loadStateDict(sd: StateDict, { strict = true } = {}): void {
    const own = this.stateDict();
    if (strict) {
      const missing = Object.keys(own).filter((k) => !(k in sd));
      const unexpected = Object.keys(sd).filter((k) => !(k in own));
      if (missing.length || unexpected.length) {
        throw new Error(`loadStateDict: missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]`);
      }
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        if (!(k in sd)) continue;
        const src = sd[k];
        if (src.shape.join() !== t.shape.join()) {
          throw new Error(`loadStateDict: '${k}' has shape [${src.shape}] in the file but [${t.shape}] in the module`);
        }
        t.copy_(src);
      }
    });
  }

  /** Moves every parameter and buffer to a device or floating dtype, in place (new storage, same module). */
  to(target: Device | DType): this {
    const move = (map: Map<string, Tensor>, isParam: boolean) => {
      for (const [n, t] of map) {
        if (isDType(target) ? t.dtype === target || !t.dtype.startsWith('float') : t.device === target || (target === 'cuda' && t.device.startsWith('cuda'))) continue;
        const moved = keep(noGrad(() => t.to(target)));
        if (isParam) moved.requiresGrad_(true);
        map.set(n, moved);
        // Layers keep their tensors in fields named as registered (this.weight): point them at the copy.
        const self = this as unknown as Record<string, unknown>;
        if (self[n] === t) self[n] = moved;
        t.dispose();
      }
    };
    move(this.params, true);
    move(this.buffers, false);
    for (const c of this.children.values()) c.to(target);
    return this;
  }
  /**
   * Runs fn with other tensors standing in for named parameters, as torch.func.functional_call:
   * the unrolled GAN differentiates through updated discriminator weights this way.
   */
  withParameters<R>(params: Record<string, Tensor>, fn: () => R): R {
    const restore: [Record<string, unknown>, string, unknown][] = [];
    try {
      for (const [name, t] of Object.entries(params)) {
        const path = name.split('.');
        const field = path.pop()!;
        let owner: Module = this;
        for (const part of path) {
          const next = owner.children.get(part);
          if (!next) throw new Error(`withParameters: no submodule '${part}' in '${name}'`);
          owner = next;
        }
        if (!owner.params.has(field)) throw new Error(`withParameters: '${name}' is not a parameter`);
        const self = owner as unknown as Record<string, unknown>;
        restore.push([self, field, self[field]]);
        self[field] = t;
      }
      return fn();
    } finally {
      for (const [self, field, old] of restore.reverse()) self[field] = old;
    }
  }

  dispose(): void {
    for (const t of [...this.params.values(), ...this.buffers.values()]) t.dispose();
    for (const c of this.children.values()) c.dispose();
  }
}
