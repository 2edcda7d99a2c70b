// The `gantry` command as a user meets it: JSON outputs, and bad input giving one clear line and a
// non-zero exit code. Runs the compiled CLI (`npm test` compiles first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gantry-cli-'));
const gantry = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, GANTRY_THREADS: '1' } });
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('gantry', () => {
  it('doctor --json says which BLAS and allocator it runs on, and follows GANTRY_CPU_CACHE_MB', () => {
    const doctor = (cacheMb: string) =>
      spawnSync(process.execPath, [cli, 'doctor', '--json'], { encoding: 'utf8', env: { ...process.env, GANTRY_THREADS: '1', GANTRY_CPU_CACHE_MB: cacheMb } });
    const r = doctor('256');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ blas: 'OpenBLAS (OpenMP)', threads: 1, cpuCacheMb: 256 });
    expect(JSON.parse(doctor('0').stdout).cpuCacheMb).toBe(0);
  });
  it('eval-samples --json prints the metrics', () => {
    const modes = file('modes.csv', '0,0\n10,0\n0,10\n');
    const samples = file('samples.csv', 'x,y\n0.1,0\n10,0.2\n5,5\n');
    const r = gantry('eval-samples', '--samples', samples, '--modes', modes, '--sigma', '0.1', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ modes: 2, modes_max: 3, n: 3 });
    expect(out.high_quality).toBeCloseTo(2 / 3, 12);
    expect(out.reverse_kl).toBeCloseTo(Math.log(3 / 2), 12);
  });
  it('a ragged file: exit 1, the file and line named', () => {
    const modes = file('m.csv', '0,0\n1,1\n');
    const r = gantry('eval-samples', '--samples', file('bad.csv', '1,2\n3\n'), '--modes', modes, '--sigma', '0.1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/gantry: .*bad\.csv, line 2: 1 columns but earlier rows have 2/);
  });
  it('an unknown method, and an unknown option of a method', () => {
    const a = gantry('train', '--method', 'nope', '--steps', '1', '--out', join(dir, 'x'));
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/unknown method 'nope': choose one of gan, nsgan/);
    const b = gantry('train', '--method', 'wgan-gp', '--opt', 'lamda=1', '--steps', '1', '--out', join(dir, 'y'));
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/invalid options for wgan-gp.*lamda/s);
  });
  it('train writes a run folder that eval reproduces; eval of a non-run says why', () => {
    const out = join(dir, 'run');
    const t = gantry('train', '--method', 'nsgan', '--steps', '40', '--batch-size', '64', '--eval-every', '20', '--eval-samples', '300', '--out', out, '--json');
    expect(t.status).toBe(0);
    for (const f of ['config.json', 'metrics.jsonl', 'final.json', 'checkpoint.safetensors', 'samples.csv', 'density.png', 'critic.png']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const e = gantry('eval', out, '--json');
    expect(e.status).toBe(0);
    // train --json prints final.json: the report eval reproduces, plus the run's timing and identity.
    expect(JSON.parse(t.stdout)).toEqual({ ...JSON.parse(e.stdout), ...JSON.parse(readFileSync(join(out, 'final.json'), 'utf8')) });
    expect(JSON.parse(t.stdout)).toMatchObject(JSON.parse(e.stdout));
    const missing = gantry('eval', join(dir, 'nowhere'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/is not a run folder: config\.json is missing/);
  });
  it('bench synthetic: method variants get their own rows; a bad variant fails before training', () => {
    const out = join(dir, 'bench');
    const r = gantry('bench', 'synthetic', '--methods', 'pacgan,pacgan:packing=3', '--datasets', 'ring', '--seeds', '1', '--steps', '20', '--workers', '1', '--json', '--out', out);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((row: { method: string }) => row.method)).toEqual(['pacgan', 'pacgan:packing=3']);
    const config = JSON.parse(readFileSync(join(out, 'runs', 'ring', 'pacgan:packing=3', 'seed-1', 'config.json'), 'utf8'));
    expect(config.methodOptions).toEqual({ packing: 3 });
    const bad = gantry('bench', 'synthetic', '--methods', 'pacgan:packing=0', '--out', join(dir, 'bad-bench'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/invalid method variant 'pacgan:packing=0': packing/);
    expect(existsSync(join(dir, 'bad-bench'))).toBe(false);
  });
  it('train on Stacked-MNIST with a preset: grids per evaluation, modes in metrics.jsonl; sample and eval read the run', () => {
    const out = join(dir, 'stacked');
    const t = gantry('train', '--method', 'pacgan', '--dataset', 'stacked-mnist', '--preset', 'quick', '--steps', '6', '--batch-size', '16', '--eval-every', '3', '--eval-samples', '256', '--lr-g', '0.001', '--out', out, '--json');
    expect(t.status).toBe(0);
    const report = JSON.parse(t.stdout);
    expect(report).toMatchObject({ n: 256, modes_max: 1000 });
    expect(report.histogram.reduce((a: number, b: number) => a + b, 0)).toBe(256);
    for (const f of ['samples-step0000003.png', 'samples-step0000006.png', 'modes-histogram.png', 'samples.npy', 'checkpoint.safetensors']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.protocol).toMatchObject({ nets: 'small-d-quarter', latentDim: 256, batchSize: 16, lrD: 2e-4, lrG: 0.001, betasG: [0.5, 0.99] });
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([3, 6]);
    expect(lines[0].histogram).toBeUndefined();
    expect(report).toMatchObject(JSON.parse(gantry('eval', out, '--json').stdout));
    const s = gantry('sample', out, '--n', '9', '--out', join(dir, 'nine.npy'));
    expect(s.status).toBe(0);
    const npy = readFileSync(join(dir, 'nine.npy'));
    expect(npy.toString('latin1', 0, 6)).toBe('\x93NUMPY');
    expect(npy.toString('latin1')).toContain("'shape': (9, 3, 28, 28)");
    expect(gantry('sample', out, '--out', join(dir, 'grid.png')).status).toBe(0);
    const bad = gantry('train', '--method', 'nsgan', '--dataset', 'ring', '--preset', 'small-d-quarter', '--steps', '1', '--out', join(dir, 'ring-dcgan'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/small-d-quarter networks take images; these data are points/);
  });
  it('bench images: a table with the real-data row, JSON, mosaic and trend plot', () => {
    const out = join(dir, 'bench-images');
    const r = gantry('bench', 'images', '--preset', 'quick', '--methods', 'nsgan', '--seeds', '1', '--steps', '4', '--samples', '256', '--kid-subset-size', '100', '--evaluations', '1', '--workers', '1', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| nsgan \|/);
    expect(r.stdout).toMatch(/\*\*real data\*\* \(held-out test digits\)/);
    const table = JSON.parse(readFileSync(join(out, 'table.json'), 'utf8'));
    expect(table.real.n).toBe(256);
    expect(table.cells[0].runs[0].report.n).toBe(256);
    for (const f of ['table.md', 'samples-mosaic.png', 'modes-vs-iterations.png']) expect(existsSync(join(out, f))).toBe(true);
    // The image-metric table: every run's generator and the real-data row, on 256 samples each.
    expect(table.metric_samples).toBe(256);
    expect(Object.keys(table.cells[0].runs[0].metrics)).toEqual(expect.arrayContaining(['FID-MNIST-CNN', 'KID-MNIST-CNN', 'precision-MNIST-CNN', 'coverage-MNIST-CNN', 'IS-MNIST-CNN', 'MODE-MNIST-CNN']));
    expect(table.real_metrics['FID-MNIST-CNN']).toBeLessThan(table.cells[0].runs[0].metrics['FID-MNIST-CNN']);
    expect(r.stdout).toMatch(/Image metrics on 256 samples per run/);
  });
  it('eval-images: a .npy of real digits scores like the real-data row; a run gets IvOM; bad input says why', () => {
    // 300 MNIST test digits as uint8 [n, 28, 28], the way a user would save them from NumPy.
    const digits = join(dir, 'digits.npy');
    const make = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { loadMnist } from '${join(__dirname, '..', '..', 'dist', 'src', 'data', 'mnist.js')}';
      import { writeFileSync } from 'node:fs';
      const m = loadMnist('test');
      const bytes = m.images.narrow(0, 300, 300).contiguous().toArray();
      let h = "{'descr': '|u1', 'fortran_order': False, 'shape': (300, 28, 28), }";
      h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\\n';
      const head = Buffer.alloc(10); head.write('\\x93NUMPY', 0, 'latin1'); head[6] = 1; head.writeUInt16LE(h.length, 8);
      writeFileSync('${digits}', Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(bytes)]));`], { encoding: 'utf8' });
    expect(make.status, make.stderr).toBe(0);
    const r = gantry('eval-images', '--samples', digits, '--reference', 'mnist', '--n', '300', '--metrics', 'fid,pr,is,mode,modes', '--out', join(dir, 'ei'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toHaveLength(2);
    const [mine, real] = out.rows;
    expect(real.label).toMatch(/real data/);
    expect(mine.n).toBe(300);
    expect(mine['precision-MNIST-CNN']).toBeGreaterThan(0.6);
    expect(mine['FID-MNIST-CNN']).toBeLessThan(3 * real['FID-MNIST-CNN'] + 5);
    expect(mine.modes).toBe(10);
    // MODE = IS · exp(−KL(p_g ‖ p_train)): real digits are in the training proportions, so just below.
    expect(mine['MODE-MNIST-CNN']).toBeLessThan(mine['IS-MNIST-CNN']);
    expect(mine['MODE-MNIST-CNN']).toBeGreaterThan(0.95 * mine['IS-MNIST-CNN']);
    expect(existsSync(join(dir, 'ei', 'eval-images.md'))).toBe(true);
    const iv = gantry('eval-images', '--run', join(dir, 'stacked'), '--n', '64', '--metrics', 'ivom', '--ivom-n', '4', '--ivom-steps', '5', '--ivom-restarts', '1', '--json');
    expect(iv.status, iv.stderr).toBe(0);
    expect(JSON.parse(iv.stdout).rows[0].IvOM).toBeGreaterThan(0);
    const none = gantry('eval-images', '--reference', 'mnist');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/give --samples PATH or --run DIR/);
    const wrong = gantry('eval-images', '--samples', digits, '--reference', 'stacked-mnist', '--n', '10');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/digits\.npy: uint8 array of shape \(300,28,28\).*3×28×28/);
    const noRun = gantry('eval-images', '--samples', digits, '--reference', 'mnist', '--metrics', 'ivom');
    expect(noRun.stderr).toMatch(/ivom .* needs --run DIR/);
    expect(gantry('eval-images', '--samples', digits, '--reference', 'mnist', '--metrics', 'fid,bogus').stderr).toMatch(/unknown metric 'bogus'/);
  });
  it('methods --json lists every method with its defaults', () => {
    const r = gantry('methods', '--json');
    const ids = JSON.parse(r.stdout).map((m: { id: string }) => m.id);
    expect(ids).toEqual([
      'gan', 'nsgan', 'lsgan', 'wgan', 'wgan-gp', 'ebgan', 'began', 'unrolled', 'pacgan', 'ali', 'veegan', 'reg-gan', 'mdgan', 'ivgan',
      'lens-gan', 'lens-nsgan', 'lens-lsgan', 'lens-wgan-gp',
    ]);
    const lens = JSON.parse(r.stdout).find((m: { id: string }) => m.id === 'lens-wgan-gp');
    expect(JSON.stringify(lens)).toMatch(/lambda/); // the wrapped objective's own options, and K
    expect(JSON.stringify(lens)).toMatch(/"K"/);
  });
});
