// What CPU this is, in the words a benchmark reading needs: floats differ in the last bits, and
// libtorch's kernels in speed, between CPU kinds (Intel Xeon; AMD EPYC Zen 3 with AVX2; Zen 4 with
// AVX-512 have all been seen on one machine type). Reads /proc/cpuinfo; loads no libtorch.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface CpuKind {
  /** The model name as the kernel reports it ("AMD EPYC", "Intel(R) Xeon(R) ..."). */
  model: string;
  /** x86 family and model numbers (AMD family 25 is Zen 3 / Zen 4: model 0–15 Zen 3, 16–31 Zen 4). */
  family: number | null;
  modelNumber: number | null;
  /** The widest vector instructions libtorch's kernels can use here. */
  vector: 'AVX-512' | 'AVX2' | 'AVX' | 'SSE' | 'unknown';
  cores: number;
  /** One line for tables and JSON readings: "AMD EPYC (family 25 model 1, AVX2, 2 cores)". */
  label: string;
}

export function cpuKind(cpuinfo?: string): CpuKind {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      text = '';
    }
  }
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const model = field('model name') ?? cpus()[0]?.model ?? 'unknown';
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const vector = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : flags.has('avx') ? 'AVX' : flags.has('sse2') ? 'SSE' : 'unknown';
  const cores = cpuinfo === undefined ? cpus().length : (text.match(/^processor\s*:/gm) ?? []).length;
  const [family, modelNumber] = [num(field('cpu family')), num(field('model'))];
  const id = family !== null && modelNumber !== null ? `family ${family} model ${modelNumber}, ` : '';
  return { model, family, modelNumber, vector, cores, label: `${model} (${id}${vector}, ${cores} core${cores === 1 ? '' : 's'})` };
}
