// The PyTorch trainer of perf:second-opinion (perf/reference/train.py) draws its real batches as
// gantry's samplers do: the same training digits, the same pixel scale, three independent digits as
// R, G, B for Stacked-MNIST, and the lens preset's padding to 32×32 with background.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageSampler } from '../../src/data/images.js';
import { loadMnist } from '../../src/data/mnist.js';
import { manualSeed, safetensors, type Tensor } from '../../src/torch/index.js';

const PYTHON = '/usr/bin/python3';
const script = join(__dirname, '..', '..', 'perf', 'reference', 'train.py');
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const N = 3000;

function pytorchBatch(root: string, kind: 'stacked' | 'digits', size: 28 | 32): Tensor {
  const dir = mkdtempSync(join(root, `${kind}-${size}-`));
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ method: 'nsgan', options: {}, train: { seed: 1, dump: N, data: { kind, size } }, digits: '../digits.safetensors' }));
  const r = spawnSync(PYTHON, [script, dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`perf/reference/train.py failed: ${r.stderr}`);
  return safetensors.loadFile(join(dir, 'real.safetensors')).tensors.x;
}

/** Each channel's mean pixel, and the standard error of that mean over images. */
function channelMeans(x: Tensor): { mean: number[]; se: number[] } {
  const perImage = x.mean([2, 3]);
  return { mean: perImage.mean(0).toNumbers(), se: perImage.std(0).div(Math.sqrt(x.shape[0])).toNumbers() };
}

describe.skipIf(!hasTorch)("perf:second-opinion's PyTorch trainer draws real data as gantry does (skipped where Debian's python3-torch is not installed)", () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gantry-second-opinion-'));
    safetensors.saveFile(join(root, 'digits.safetensors'), { images: loadMnist('train').images });
  });

  it('Stacked-MNIST: [n, 3, 28, 28] on the pixel grid (u / 127.5 − 1), each channel a digit with the same mean as gantry’s', () => {
    const x = pytorchBatch(root, 'stacked', 28);
    expect(x.shape).toEqual([N, 3, 28, 28]);
    expect(x.min().item()).toBe(-1);
    expect(x.max().item()).toBe(1);
    const v = x.toNumbers();
    expect(v.every((p) => Math.abs((p + 1) * 127.5 - Math.round((p + 1) * 127.5)) < 1e-3)).toBe(true);
    manualSeed(3);
    const g = channelMeans(imageSampler('stacked-mnist').sample(N));
    const p = channelMeans(x);
    // Three independent digits: every channel has the digit mean, within 4 standard errors of gantry's.
    for (let c = 0; c < 3; c++) expect(Math.abs(p.mean[c] - g.mean[c])).toBeLessThan(4 * Math.hypot(p.se[c], g.se[c]));
    // Independent digits: the channels' per-image means are uncorrelated (one digit copied thrice reads 1).
    const m = x.mean([2, 3]);
    const [a, b] = [m.select(1, 0), m.select(1, 1)].map((t) => t.sub(t.mean()));
    const r = a.mul(b).mean().item() / Math.sqrt(a.square().mean().item() * b.square().mean().item());
    expect(Math.abs(r)).toBeLessThan(0.1);
  });

  it('MNIST at 32×32 (the lens preset): one channel, a 2-pixel border of background (−1), the digit mean of gantry’s', () => {
    const x = pytorchBatch(root, 'digits', 32);
    expect(x.shape).toEqual([N, 1, 32, 32]);
    const border = [x.narrow(2, 0, 2), x.narrow(2, 30, 2), x.narrow(3, 0, 2), x.narrow(3, 30, 2)].flatMap((b) => b.toNumbers());
    expect(border.every((p) => p === -1)).toBe(true);
    manualSeed(3);
    const g = channelMeans(imageSampler('mnist', { size: 32 }).sample(N));
    const p = channelMeans(x);
    expect(Math.abs(p.mean[0] - g.mean[0])).toBeLessThan(4 * Math.hypot(p.se[0], g.se[0]));
  });
});
