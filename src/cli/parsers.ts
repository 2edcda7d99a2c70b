// Commander argument parsers shared by the commands: each names its flag and the bad value.
import { InvalidArgumentError, Option } from 'commander';
import { parseOption } from '../methods/index.js';
import { DEVICE_PATTERN } from '../torch/index.js';

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};
export const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got '${v}'`);
  return n;
};
export const betas = (name: string) => (v: string) => {
  const b = v.split(',').map(Number);
  if (b.length !== 2 || b.some((x) => !(x >= 0 && x < 1))) throw new InvalidArgumentError(`${name} must be two numbers in [0, 1) separated by a comma (e.g. 0.5,0.99), got '${v}'`);
  return b as [number, number];
};
/** --device: cpu, cuda or cuda:N (whether this machine has it is checked when the run starts). */
export const device = (v: string) => {
  if (!DEVICE_PATTERN.test(v)) throw new InvalidArgumentError(`--device must be cpu, cuda or cuda:N, got '${v}'`);
  return v;
};
/** Every benchmark's --device: where its runs train and its metrics are computed. */
export const benchDevice = () => new Option('--device <d>', "where every run's tensors live: cpu, cuda or cuda:N").argParser(device).default('cpu');
export const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
/** --opt key=value, repeatable: method hyperparameters. */
export const kv = (v: string, prev: Record<string, number | boolean> = {}) => {
  const option = parseOption(v);
  if (!option) throw new InvalidArgumentError(`--opt expects key=value with a number or true/false (e.g. --opt nCritic=5), got '${v}'`);
  return { ...prev, [option[0]]: option[1] };
};
