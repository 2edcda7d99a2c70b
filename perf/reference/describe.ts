// What the PyTorch reference (perf/reference/methods.py) needs to rebuild one of gantry's methods:
// each network as a description of its modules (types, settings, children by name, so tensors
// compare by gantry's state-dict names), its initial weights, and each optimizer's settings.
// Used by the parity test (test/methods/parity.test.ts) and the training second opinion
// (perf/second-opinion.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Method } from '../../src/methods/base.js';
import { Adam, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Lambda, Linear, RMSprop, type Module } from '../../src/nn/index.js';
import { safetensors, type Tensor } from '../../src/torch/index.js';

/** A network as the reference's Net builds it. */
export function describeNet(m: Module): Record<string, unknown> {
  if (m instanceof Linear) return { type: 'Linear' };
  if (m instanceof Conv2d) return { type: 'Conv2d', stride: m.stride, padding: m.padding };
  if (m instanceof ConvTranspose2d) return { type: 'ConvTranspose2d', stride: m.stride, padding: m.padding, outputPadding: m.outputPadding };
  if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) return { type: m.constructor.name, eps: m.eps, momentum: m.momentum, streams: m.runningMeans.length };
  if (m instanceof Lambda) {
    const leaky = /^LeakyReLU\((.+)\)$/.exec(m.name);
    if (leaky) return { type: 'LeakyReLU', slope: Number(leaky[1]) };
    const unflatten = /^Unflatten\((.+)\)$/.exec(m.name);
    if (unflatten) return { type: 'Unflatten', shape: unflatten[1].split(',').map(Number) };
    return { type: m.name.replace(/\(inplace\)$/, '') };
  }
  // Containers: Sequential, the lens's Residual, the joint discriminators (JointMLP, JointConv).
  const children = Object.fromEntries(m.namedChildren().map(([k, c]) => [k, describeNet(c)]));
  return { type: m.constructor.name, zFirst: (m as unknown as { zFirst?: boolean }).zFirst, children };
}

/** Each optimizer's kind and settings (per-network learning rates and betas included). */
export function describeOptimizers(method: Method): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(method.optimizers).map(([name, o]) => {
      if (o instanceof Adam) return [name, { kind: 'adam', lr: o.lr, betas: o.betas }];
      if (o instanceof RMSprop) return [name, { kind: 'rmsprop', lr: o.lr }];
      throw new Error(`the PyTorch reference has no ${o.constructor.name}`);
    }),
  );
}

/**
 * Writes a case folder for the reference: init.safetensors (the networks as they are now) and
 * case.json (method id, options, protocol, networks, optimizers, and `extra`).
 */
export function writeCase(dir: string, id: string, options: Record<string, unknown>, method: Method, init: Record<string, Tensor>, extra: Record<string, unknown>): void {
  safetensors.saveFile(join(dir, 'init.safetensors'), init);
  const nets = Object.fromEntries(Object.entries(method.modules).map(([k, m]) => [k, describeNet(m)]));
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ method: id, options, protocol: method.protocol, nets, optimizers: describeOptimizers(method), ...extra }));
}
