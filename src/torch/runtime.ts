// Seeds, threads, devices and what the engine runs on (for `gantry doctor`).
import { readFileSync } from 'node:fs';
import { N } from './native.js';
import { cpuKind } from './cpu.js';
export { packageRoot } from './native.js';
import { getDefaultDevice, setDefaultDevice } from './creation.js';
import { wrap, type Device, type Tensor } from './tensor.js';

/** As `torch.manual_seed`: seeds the CPU and every CUDA generator. */
export const manualSeed = (seed: number): void => N.manualSeed(seed);
/**
 * Stop requests for synchronous loops: while watching, SIGINT and SIGTERM are recorded instead of
 * ending the process (a second one of the same kind still ends it at once), and pendingStop()
 * says which arrived. Node's own signal handlers cannot run inside a training loop,
 * which never yields to the event loop.
 */
export const watchSignals = (on: boolean): void => N.watchSignals(on);
/** The name of the pending stop request ('SIGINT', 'SIGTERM'), or null. */
export const pendingStop = (): string | null => ({ 2: 'SIGINT', 15: 'SIGTERM' })[N.pendingSignal()] ?? null;
/** A generator's state: the CPU's as torch.get_rng_state(), a GPU's as torch.cuda.get_rng_state() (a uint8 tensor). */
export const getRngState = (device: Device = 'cpu'): Tensor => wrap(N.getRngState(device));
/** As torch.set_rng_state() (or torch.cuda.set_rng_state): the generator continues from `state`. */
export const setRngState = (state: Tensor, device: Device = 'cpu'): void => N.setRngState(state.h, device);
/** The generator that draws the default device's random tensors: the GPU's on cuda, else the CPU's. */
const drawingGenerator = (): Device => (getDefaultDevice().startsWith('cuda') ? getDefaultDevice() : 'cpu');
/** The generators a run draws from: the CPU's, and the GPU's when the default device is one. */
export const runGenerators = (): Device[] => [...new Set<Device>(['cpu', drawingGenerator()])];
/**
 * Runs fn on a private random stream seeded with `seed`, then puts the global generators (the CPU's
 * and the default device's) back exactly where they were: what fn draws does not shift anything
 * drawn after it.
 */
export function withSeed<R>(seed: number, fn: () => R): R {
  const saved = runGenerators().map((d) => [d, getRngState(d)] as const);
  try {
    manualSeed(seed);
    return fn();
  } finally {
    for (const [d, state] of saved) {
      setRngState(state, d);
      state.dispose();
    }
  }
}
/**
 * withSeed with a seed derived from (not drawn from) the current state of the generator the run
 * draws from (the default device's): a private stream that differs from run seed to run seed, yet
 * consumes nothing of the global one.
 */
export function withForkedStream<R>(salt: number, fn: () => R): R {
  const state = getRngState(drawingGenerator());
  const bytes = state.toArray() as Uint8Array;
  state.dispose();
  // FNV-1a over the state bytes and the salt.
  let h = 0x811c9dc5 ^ salt;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return withSeed(h, fn);
}

/** The devices gantry runs on: cpu, cuda (the current GPU) and cuda:N. */
export const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

/** Why `device` cannot be used in this process (not a device name, no CUDA, no such GPU), or null. */
export function deviceProblem(device: string): string | null {
  if (!DEVICE_PATTERN.test(device)) return `'${device}' is not a device: use cpu, cuda or cuda:N`;
  if (device === 'cpu') return null;
  if (!cuda.isAvailable()) return `${device} is not available: this libtorch has no CUDA, or no GPU is visible (gantry doctor shows what the engine runs on); use cpu`;
  const index = device === 'cuda' ? 0 : Number(device.slice(5));
  const count = cuda.deviceCount();
  if (index >= count) return `${device} is not available: ${count} GPU${count > 1 ? 's are' : ' is'} visible (cuda:0${count > 1 ? `…cuda:${count - 1}` : ''})`;
  return null;
}

/**
 * As torch.set_default_device, after checking the device exists here: every tensor a run creates
 * (networks, optimizer states, data, noise, metrics) goes there unless told otherwise.
 */
export function useDevice(device: string, name = '--device'): Device {
  const problem = deviceProblem(device);
  if (problem) throw new Error(`invalid ${name}: ${problem}`);
  setDefaultDevice(device as Device);
  return device as Device;
}
export const setNumThreads = (n: number): void => N.setNumThreads(n);
export const getNumThreads = (): number => N.getNumThreads();

/**
 * Runs `fn` under libtorch's op-level profiler (torch.autograd.profiler's legacy one, this thread
 * only) and writes what it recorded to `path` as a Chrome trace (chrome://tracing, Perfetto):
 * every libtorch op, autograd node and native kernel with its start and duration.
 */
export function profile<T>(path: string, fn: () => T): T {
  N.profileStart(path);
  try {
    return fn();
  } finally {
    N.profileStop();
  }
}

/** What the caching CPU allocator holds (native/allocator.cc); all zero and `caching: false` when GANTRY_CPU_CACHE_MB=0. */
export interface CpuAllocatorStats {
  caching: boolean;
  /** Requests served from a cached block, and requests that went to the system. */
  hits: number;
  misses: number;
  /** Bytes in released blocks kept for reuse, and the most it keeps (GANTRY_CPU_CACHE_MB). */
  cachedBytes: number;
  capBytes: number;
}
export const cpuAllocatorStats = (): CpuAllocatorStats => N.cpuAllocatorStats();
/** Returns every cached CPU block to the system (as `torch.cuda.empty_cache()` does for the GPU). */
export const emptyCache = (): void => N.emptyCache();

export const cuda = {
  isAvailable: (): boolean => N.cudaIsAvailable(),
  deviceCount: (): number => N.cudaDeviceCount(),
  synchronize: (): void => N.cudaSynchronize(),
};

/** The BLAS libraries this process actually mapped (the reference BLAS is 13x slower). */
export function loadedBlas(): string[] {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/)[5];
    if (path && /lib(open)?blas|libmkl|liblapack/.test(path)) libs.add(path);
  }
  return [...libs];
}

export function describeBlas(libs = loadedBlas()): string {
  if (libs.some((l) => l.includes('openblas-openmp'))) return 'OpenBLAS (OpenMP)';
  if (libs.some((l) => l.includes('openblas-pthread'))) return 'OpenBLAS (pthreads: fights OpenMP for cores, slow)';
  if (libs.some((l) => l.includes('mkl'))) return 'MKL';
  if (libs.some((l) => l.includes('libopenblas'))) return 'OpenBLAS';
  if (libs.some((l) => /\/blas\/libblas/.test(l))) return 'reference BLAS (13x slower: install libopenblas0-openmp)';
  return libs.length ? 'unknown' : 'none mapped (libtorch may use its own)';
}

export interface EngineInfo {
  libtorch: string;
  blas: string;
  blasLibraries: string[];
  threads: number;
  cuda: boolean;
  cudaDevices: number;
  /** Most MiB of released CPU blocks the caching allocator keeps; 0 when it is off. */
  cpuCacheMb: number;
  /** The CPU, as a reading should name it (model, family/model numbers, vector instructions, cores). */
  cpu: string;
}

export function engineInfo(): EngineInfo {
  const blasLibraries = loadedBlas();
  return {
    libtorch: N.version(),
    blas: describeBlas(blasLibraries),
    blasLibraries,
    threads: getNumThreads(),
    cuda: cuda.isAvailable(),
    cudaDevices: cuda.deviceCount(),
    cpuCacheMb: cpuAllocatorStats().capBytes / 2 ** 20,
    cpu: cpuKind().label,
  };
}
