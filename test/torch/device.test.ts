// Devices: --device names cpu, cuda or cuda:N; a device this machine lacks is refused before
// anything is written; every tensor a run creates (networks, optimizer states, data) goes to the
// run's device. A machine without CUDA cannot run a GPU, so the placement checks use libtorch's
// meta device (shapes only, no data): a tensor created on the CPU by mistake would show as 'cpu'.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { loadMnist } from '../../src/data/mnist.js';
import { METHODS, ProtocolSchema, getMethod } from '../../src/methods/index.js';
import { familyFor } from '../../src/nets/index.js';
import { saveCheckpoint, Linear } from '../../src/nn/index.js';
import {
  cuda,
  deviceProblem,
  getDefaultDevice,
  getRngState,
  manualSeed,
  randn,
  safetensors,
  setDefaultDevice,
  setRngState,
  tensor,
  withSeed,
  type Device,
} from '../../src/torch/index.js';
import { buildRun } from '../../src/train/config.js';
import { evaluateRun, loadRun } from '../../src/train/load.js';
import { trainToDir } from '../../src/train/run.js';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gantry-device-'));
const gantry = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, GANTRY_THREADS: '1' } });

afterEach(() => setDefaultDevice('cpu'));

describe('device names', () => {
  it('cpu always works; a malformed name is refused with the forms allowed', () => {
    expect(deviceProblem('cpu')).toBeNull();
    for (const bad of ['gpu', 'CUDA', 'cuda:', 'cuda:x', 'cuda0', 'cpu:0', '']) expect(deviceProblem(bad)).toMatch(/is not a device: use cpu, cuda or cuda:N/);
  });
  it('cuda works exactly when this libtorch sees a GPU, and a GPU index past the last is refused', () => {
    expect(deviceProblem('cuda') === null).toBe(cuda.isAvailable());
    expect(deviceProblem(`cuda:${cuda.deviceCount()}`)).toMatch(/is not available/);
    if (!cuda.isAvailable()) expect(deviceProblem('cuda:0')).toMatch(/this libtorch has no CUDA, or no GPU is visible .* use cpu/);
  });
});

describe("a run's tensors follow its device", () => {
  it('every network, buffer and optimizer state of every method is created on the default device', () => {
    const meta = 'meta' as Device;
    setDefaultDevice(meta);
    for (const name of ['ring', 'stacked-mnist'] as const) {
      const data = loadDataset({ name });
      if (data.target && 'means' in data.target) expect(data.target.means.device).toBe('meta');
      for (const id of Object.keys(METHODS)) {
        const spec = getMethod(id);
        const protocol = ProtocolSchema.parse({ latentDim: data.shape.kind === 'image' ? 16 : 2, ...spec.protocolOverrides });
        const options = spec.options.parse({});
        const method = spec.create(protocol, familyFor(data.shape, protocol.nets, protocol.hidden), spec.resolveOptions ? spec.resolveOptions(options, { steps: 100 }) : options);
        const devices = new Set<string>();
        for (const m of Object.values(method.modules)) for (const t of Object.values(m.stateDict())) devices.add(t.device);
        for (const o of Object.values(method.optimizers)) for (const t of Object.values(o.stateDict().tensors)) devices.add(t.device);
        expect([...devices], `${id} on ${name}`).toEqual(['meta']);
      }
    }
    // The digits behind every MNIST-family set (read from files as typed arrays).
    expect(loadMnist('test').images.device).toBe('meta');
    expect(loadMnist('test').labels.device).toBe('meta');
  });
  it('tensor() from a typed array or nested arrays lands on the default device unless told', () => {
    setDefaultDevice('meta' as Device);
    expect(tensor(new Float32Array(4)).device).toBe('meta');
    expect(tensor([[1, 2]]).device).toBe('meta');
    expect(tensor([1], { device: 'cpu' }).device).toBe('cpu');
  });
  it('a run records its device in config.json and sets it as the default', () => {
    const run = buildRun({ method: 'nsgan', steps: 10, device: 'cpu' });
    expect(run.config.device).toBe('cpu');
    expect(getDefaultDevice()).toBe('cpu');
    expect(buildRun({ method: 'nsgan', steps: 10 }).config.device).toBe('cpu');
    expect(() => buildRun({ method: 'nsgan', device: 'tpu' })).toThrow("--device must be cpu, cuda or cuda:N, got 'tpu'");
  });
});

describe('random generators', () => {
  it('withSeed puts back the generators a run draws from; a checkpoint saves each as rng.<device>', () => {
    manualSeed(4);
    const expected = randn([3]).toArray();
    manualSeed(4);
    withSeed(99, () => randn([5]));
    expect(randn([3]).toArray()).toEqual(expected);
    const path = join(dir, 'rng.safetensors');
    saveCheckpoint(path, { modules: { l: new Linear(2, 2) } }, {}, { rng: true });
    expect(Object.keys(safetensors.loadFile(path).tensors).filter((k) => k.startsWith('rng.'))).toEqual(['rng.cpu']);
    const state = getRngState('cpu');
    const a = randn([2]).toArray();
    setRngState(state, 'cpu');
    expect(randn([2]).toArray()).toEqual(a);
  });
});

describe('--device on the command line', () => {
  it('train, bench and eval refuse a device this machine lacks before writing anything', () => {
    if (cuda.isAvailable()) return expect(deviceProblem('cuda')).toBeNull(); // a GPU machine: nothing to refuse
    const train = gantry(['train', '--method', 'nsgan', '--steps', '5', '--device', 'cuda', '--out', 'never']);
    expect(train.status).toBe(1);
    expect(train.stderr).toMatch(/invalid --device: cuda is not available: this libtorch has no CUDA/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
    const bench = gantry(['bench', 'synthetic', '--methods', 'nsgan', '--datasets', 'ring', '--seeds', '1', '--steps', '5', '--device', 'cuda:0', '--out', 'bench-never']);
    expect(bench.status).toBe(1);
    expect(bench.stderr).toMatch(/invalid --device: cuda:0 is not available/);
    expect(existsSync(join(dir, 'bench-never'))).toBe(false);
    writeFileSync(join(dir, 'gpu.yaml'), 'method: nsgan\nsteps: 5\ndevice: cuda\n');
    const file = gantry(['train', '--config', 'gpu.yaml', '--out', 'never']);
    expect(file.stderr).toMatch(/invalid gpu\.yaml: device: cuda is not available/);
    expect(gantry(['train', '--method', 'nsgan', '--device', 'gpu']).stderr).toMatch(/--device must be cpu, cuda or cuda:N, got 'gpu'/);
  });
  it('a cpu run records its device; eval and resume take --device (and refuse one this machine lacks)', () => {
    const run = gantry(['train', '--method', 'nsgan', '--steps', '20', '--eval-every', '0', '--device', 'cpu', '--out', 'cpu-run', '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'cpu-run', 'config.json'), 'utf8')).device).toBe('cpu');
    expect(gantry(['eval', 'cpu-run', '--device', 'cpu', '--json']).status).toBe(0);
    if (!cuda.isAvailable()) expect(gantry(['eval', 'cpu-run', '--device', 'cuda']).stderr).toMatch(/invalid --device: cuda is not available/);
    expect(gantry(['train', '--resume', 'cpu-run', '--device', 'cpu']).stderr).toMatch(/the run finished/); // --device is allowed with --resume
  });
});

describe.skipIf(!cuda.isAvailable())('on a GPU (skipped where this libtorch sees none: scripts/gpu-check.sh runs it)', () => {
  it('a cuda run keeps its tensors on the GPU, checkpoints its generator, and evaluates again to final.json', () => {
    const out = join(dir, 'gpu-run');
    trainToDir({ method: 'nsgan', steps: 300, seed: 2, evalEvery: 0, device: 'cuda' }, out);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).device).toBe('cuda');
    expect(Object.keys(safetensors.loadFile(join(out, 'checkpoint.safetensors')).tensors)).toContain('rng.cuda');
    const run = loadRun(out);
    for (const m of Object.values(run.method.modules)) for (const p of m.parameters()) expect(p.device).toMatch(/^cuda/);
    const final = JSON.parse(readFileSync(join(out, 'final.json'), 'utf8'));
    const again = evaluateRun(out)!;
    expect([again.modes, again.high_quality]).toEqual([final.modes, final.high_quality]);
  });
});
