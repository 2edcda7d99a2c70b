// Serves one gantry workload over stdin/stdout, with the same protocol as perf/reference/engine.py.
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { cuda, getNumThreads, manualSeed, engineInfo, useDevice } from '../src/torch/index.js';
import { isWorkload, STEPS_PER_REP } from './steps.js';
import { WORKLOADS } from './workloads.js';

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const name = process.argv[2];
if (!isWorkload(name)) {
  console.error(`unknown workload '${name}': use one of ${Object.keys(STEPS_PER_REP).join(', ')}`);
  process.exit(2);
}
const steps = Number(process.argv[3] ?? STEPS_PER_REP[name]);
let device: string;
try {
  device = useDevice(process.argv[4] ?? 'cpu');
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
// GPU work is queued: a repetition ends when the device has finished it.
const sync = () => (device === 'cpu' ? undefined : cuda.synchronize());
manualSeed(0);
const w = WORKLOADS[name]();
for (let i = 0; i < Math.max(3, steps / 10); i++) w.step();
sync();
const info = engineInfo();
console.log(JSON.stringify({ ready: true, libtorch: info.libtorch, blas: info.blas, threads: getNumThreads(), device, flops: w.flops ?? null }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'rep') {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) w.step();
    sync();
    console.log(JSON.stringify({ ms: (performance.now() - t0) / steps }));
  } else if (line.trim() === 'quit') {
    console.log(JSON.stringify({ peak_rss_mb: peakRssMb() }));
    process.exit(0);
  }
}
