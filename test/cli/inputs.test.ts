// One truth per setting and honest inputs: every input either does what it says or is refused with
// the flag (or file field) named, the bad value and what is allowed; nothing is silently ignored.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRun } from '../../src/train/config.js';
import type { Optimizer } from '../../src/nn/index.js';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gantry-inputs-'));
const gantry = (args: string[], cwd = dir) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, env: { ...process.env, GANTRY_THREADS: '1' } });
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const lrs = (input: Parameters<typeof buildRun>[0]) => {
  const run = buildRun(input);
  const opts = run.method.optimizers as Record<string, Optimizer & { lr: number; betas?: number[] }>;
  return { G: opts.G.lr, D: opts.D.lr, betasD: opts.D.betas, config: run.config };
};

describe('one learning rate per optimizer', () => {
  it("wgan-gp: the paper's Adam 1e-4 by default, --lr when given, an explicit method option over both; config.json shows the one used", () => {
    const base = { method: 'wgan-gp', steps: 10 };
    expect(lrs(base)).toMatchObject({ G: 1e-4, D: 1e-4, betasD: [0.5, 0.9] });
    const flag = lrs({ ...base, protocol: { lr: 2e-3 } });
    expect(flag).toMatchObject({ G: 2e-3, D: 2e-3 });
    expect(flag.config.protocol.lr).toBe(2e-3);
    const opt = lrs({ ...base, protocol: { lr: 2e-3 }, methodOptions: { lr: 3e-3 } });
    expect(opt).toMatchObject({ G: 3e-3, D: 3e-3 });
    expect(opt.config.protocol.lr).toBe(3e-3);
    expect(opt.config.methodOptions).not.toHaveProperty('lr');
  });
  it("wgan: RMSprop 5e-5 by default; --lr-d sets D's alone", () => {
    expect(lrs({ method: 'wgan', steps: 10 })).toMatchObject({ G: 5e-5, D: 5e-5 });
    expect(lrs({ method: 'wgan', steps: 10, protocol: { lrD: 1e-3 } })).toMatchObject({ G: 5e-5, D: 1e-3 });
  });
});

describe('inputs that would be ignored or misread are refused', () => {
  const points = file('pts.csv', '0,0\n1,1\n2,2\n1,0\n0.5,0.5\n');
  it('--modes/--sigma without --data, and --dataset together with --data', () => {
    const a = gantry(['train', '--method', 'nsgan', '--modes', points, '--steps', '5', '--out', 'a']);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('invalid --modes');
    const b = gantry(['train', '--method', 'nsgan', '--sigma', '0.1', '--steps', '5', '--out', 'b']);
    expect(b.stderr).toContain('invalid --sigma');
    const c = gantry(['train', '--method', 'nsgan', '--dataset', 'grid', '--data', points, '--steps', '5', '--out', 'c']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('--dataset and --data name different data');
  });
  it('an option out of its range names the flag, the value and the bound (no hang on --opt unrollSteps=1e9)', () => {
    const r = gantry(['train', '--method', 'unrolled', '--opt', 'unrollSteps=1e9', '--steps', '5', '--out', 'u']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--opt unrollSteps must be ≤ 100, got 1000000000');
    expect(gantry(['train', '--method', 'nsgan', '--lr', '-1', '--steps', '5', '--out', 'l']).stderr).toContain('--lr must be > 0, got -1');
  });
  it('bench synthetic --seeds 0 / --workers 0, eval-samples --threshold 0 and all-zero --weights', () => {
    expect(gantry(['bench', 'synthetic', '--seeds', '0']).stderr).toContain('invalid --seeds');
    expect(gantry(['bench', 'synthetic', '--workers', '0']).stderr).toContain('invalid --workers');
    const t = gantry(['eval-samples', '--samples', points, '--modes', points, '--sigma', '0.1', '--threshold', '0']);
    expect(t.status).toBe(1);
    expect(t.stderr).toContain('invalid --threshold');
    const w = gantry(['eval-samples', '--samples', points, '--modes', points, '--sigma', '0.1', '--weights', '0,0,0,0,0']);
    expect(w.status).toBe(1);
    expect(w.stderr).toContain('--weights');
  });
  it('a relative --data works from another directory, and a changed data file is named', () => {
    const r = gantry(['train', '--method', 'nsgan', '--data', 'pts.csv', '--steps', '5', '--out', 'rel', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(gantry(['eval', join(dir, 'rel'), '--json'], tmpdir()).status).toBe(0);
    appendFileSync(points, '3,3\n');
    const changed = gantry(['eval', join(dir, 'rel')], tmpdir());
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/pts\.csv has changed since the run started/);
  });
});

describe("a user's own points", () => {
  it('--data without --method trains the measured best configuration; config.json says which, and given flags still win', async () => {
    const { USER_POINTS_DEFAULTS } = await import('../../src/cli/train-config.js');
    const pts = file('own.csv', '0,0\n1,1\n2,2\n1,0\n');
    const r = gantry(['train', '--data', pts, '--steps', '4', '--out', 'own', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const cfg = JSON.parse(readFileSync(join(dir, 'own', 'config.json'), 'utf8'));
    expect(cfg.method).toBe(USER_POINTS_DEFAULTS.method);
    expect(cfg.steps).toBe(4);
    expect(cfg.protocol.ema).toBe(USER_POINTS_DEFAULTS.protocol.ema);
    const own = gantry(['train', '--data', pts, '--method', 'nsgan', '--ema', '0.9', '--steps', '4', '--out', 'own2', '--quiet']);
    expect(own.status, own.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'own2', 'config.json'), 'utf8'))).toMatchObject({ method: 'nsgan', protocol: { ema: 0.9 } });
  });
});

describe('--config', () => {
  it('a YAML file, flags given over it, errors naming the file field or the flag; config.json reruns the run exactly', () => {
    const bad = file('bad.yaml', 'method: nsgan\nsteps: 20\nprotocol:\n  lr: -1\n');
    const e = gantry(['train', '--config', bad, '--out', 'x1']);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain(`${bad}: protocol.lr must be > 0, got -1`);
    const good = file('good.yaml', 'method: nsgan\nsteps: 30\nseed: 4\nevalEvery: 10\nprotocol:\n  lr: 0.002\n');
    const a = gantry(['train', '--config', good, '--steps', '40', '--out', 'x2', '--quiet']);
    expect(a.status, a.stderr).toBe(0);
    const cfg = JSON.parse(readFileSync(join(dir, 'x2', 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ method: 'nsgan', steps: 40, seed: 4, evalEvery: 10, protocol: { lr: 0.002 } });
    const b = gantry(['train', '--config', join(dir, 'x2', 'config.json'), '--out', 'x3', '--quiet']);
    expect(b.status, b.stderr).toBe(0);
    expect(readFileSync(join(dir, 'x3', 'samples.csv'))).toEqual(readFileSync(join(dir, 'x2', 'samples.csv')));
  });
});

describe('threads', () => {
  it('a benchmark cell is rerun exactly by gantry train --config of its config.json, whatever GANTRY_THREADS says', () => {
    const out = join(dir, 'bench');
    const b = gantry(['bench', 'synthetic', '--methods', 'nsgan', '--datasets', 'ring', '--seeds', '1', '--steps', '200', '--workers', '1', '--out', out]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('gantry train --config');
    const cell = join(out, 'runs', 'ring', 'nsgan', 'seed-1');
    expect(JSON.parse(readFileSync(join(cell, 'config.json'), 'utf8')).threads).toBe(1);
    const r = spawnSync(process.execPath, [cli, 'train', '--config', join(cell, 'config.json'), '--out', join(dir, 'cell-again'), '--quiet'], { encoding: 'utf8', env: { ...process.env, GANTRY_THREADS: '2' } });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'cell-again', 'samples.csv'))).toEqual(readFileSync(join(cell, 'samples.csv')));
  });
});

describe('data export', () => {
  it("writes a mixture's centres and samples; eval-samples scores the samples against the centres (8/8 on the ring)", () => {
    const modes = join(dir, 'centres.csv');
    const samples = join(dir, 'ring.csv');
    const r = gantry(['data', 'export', 'ring', '--modes', modes, '--samples', samples, '--n', '400']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('σ = 0.02');
    const rows = readFileSync(modes, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(rows).toHaveLength(8);
    rows.forEach(([x, y], k) => {
      expect(x).toBeCloseTo(2 * Math.cos((2 * Math.PI * k) / 8), 5);
      expect(y).toBeCloseTo(2 * Math.sin((2 * Math.PI * k) / 8), 5);
    });
    const e = gantry(['eval-samples', '--samples', samples, '--modes', modes, '--sigma', '0.02', '--json']);
    expect(JSON.parse(e.stdout)).toMatchObject({ modes: 8, modes_max: 8, n: 400 });
    expect(gantry(['data', 'export', 'mnist', '--modes', modes]).status).toBe(1);
  });
});

describe('crashes that became clear errors, and nothing written unasked', () => {
  it('an unknown top-level key in a --config file or given to trainToDir is named, with the allowed ones', async () => {
    const yaml = file('unknown-key.yaml', 'method: nsgan\nsteps: 10\nbogus: 3\n');
    const r = gantry(['train', '--config', yaml, '--out', join(dir, 'unknown-key')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${yaml}: bogus is not a setting here (the settings here: method, methodOptions, dataset, preset, protocol, steps`);
    expect(r.stderr).not.toMatch(/Cannot read properties/);
    const { trainToDir } = await import('../../src/train/run.js');
    expect(() => trainToDir({ method: 'nsgan', steps: 5, bogus: 1, protocol: { lrr: 1 } } as never, join(dir, 'unknown-lib'))).toThrow(
      /lrr is not a setting here \(the settings here: nets, hidden, .*\); --bogus is not a setting here \(the settings here: method,/,
    );
  });
  it('GANTRY_THREADS=0 or abc: one line, exit 1, no stack trace; --threads above the cores is capped, said and recorded', () => {
    for (const bad of ['0', 'abc']) {
      const r = spawnSync(process.execPath, [cli, 'doctor'], { encoding: 'utf8', env: { ...process.env, GANTRY_THREADS: bad } });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`gantry: GANTRY_THREADS=${bad} is not a positive whole number: unset it (all cores) or set e.g. GANTRY_THREADS=2`);
    }
    const out = join(dir, 'many-threads');
    const r = gantry(['train', '--method', 'nsgan', '--steps', '5', '--threads', '1000', '--quiet', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const cores = availableParallelism();
    expect(r.stderr).toContain(`--threads 1000 is more than this machine's ${cores} cores: using ${cores}`);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).threads).toBe(cores);
  });
  it('gantry sample without --out: points go to stdout and nothing is written into the run folder; images need --out', () => {
    const out = join(dir, 'sampled');
    expect(gantry(['train', '--method', 'nsgan', '--steps', '5', '--quiet', '--out', out]).status).toBe(0);
    const before = readdirSync(out).sort();
    const r = gantry(['sample', out, '--n', '5']);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toBe('x0,x1');
    expect(rows.slice(1).map((l) => l.split(',').map(Number)).every((p) => p.length === 2 && p.every(Number.isFinite))).toBe(true);
    expect(rows).toHaveLength(6);
    expect(readdirSync(out).sort()).toEqual(before);
    const images = join(dir, 'sampled-images');
    expect(gantry(['train', '--method', 'nsgan', '--dataset', 'mnist', '--preset', 'quick', '--steps', '2', '--eval-samples', '64', '--batch-size', '8', '--quiet', '--out', images]).status).toBe(0);
    const refused = gantry(['sample', images, '--n', '4']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('image samples need --out grid.png (a PNG grid) or --out samples.npy');
  });
});

describe('errors that say what is wrong: the file or flag, the problem and the fix', () => {
  const ro = mkdtempSync(join(tmpdir(), 'gantry-ro-'));
  const roMounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro]).status === 0;
  afterAll(() => {
    if (roMounted) spawnSync('umount', [ro]);
  });
  const train = (...more: string[]) => gantry(['train', '--method', 'nsgan', '--steps', '5', '--quiet', ...more]);
  it.skipIf(!roMounted)('--out on a read-only disk (skipped where tmpfs cannot be mounted: needs root)', () => {
    const r = train('--out', join(ro, 'run'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`gantry: cannot create the run folder ${join(ro, 'run')}: ${ro} is not writable (EROFS: a read-only disk); choose another --out`);
  });
  it('--out below a file, --config that is a folder or a broken link, --data that is a broken link', () => {
    const f = file('plain-file', 'x');
    expect(train('--out', join(f, 'run')).stderr.trim()).toBe(`gantry: cannot create the run folder ${join(f, 'run')}: ${f} is a file, not a folder; choose another --out`);
    const folder = join(dir, 'folder.yaml');
    mkdirSync(folder, { recursive: true });
    expect(gantry(['train', '--config', folder, '--out', join(dir, 'x1')]).stderr).toContain(`invalid --config ${folder}: a folder, not a file`);
    const link = join(dir, 'broken.yaml');
    symlinkSync(join(dir, 'nowhere.yaml'), link);
    expect(gantry(['train', '--config', link, '--out', join(dir, 'x2')]).stderr).toContain(`invalid --config ${link}: a symbolic link to ${join(dir, 'nowhere.yaml')}, which does not exist`);
    const data = join(dir, 'broken.csv');
    symlinkSync(join(dir, 'nowhere.csv'), data);
    expect(train('--data', data, '--out', join(dir, 'x3')).stderr).toContain(`invalid --data: ${data} is a symbolic link to ${join(dir, 'nowhere.csv')}, which does not exist`);
  });
  it('a JSON config with a byte-order mark is read; lr: .nan is named as NaN', () => {
    const bom = file('bom.json', '\uFEFF{"method": "nsgan", "steps": 5}');
    const r = gantry(['train', '--config', bom, '--quiet', '--out', join(dir, 'bom-run')]);
    expect(r.status, r.stderr).toBe(0);
    const nan = file('nan.yaml', 'method: nsgan\nsteps: 5\nprotocol:\n  lr: .nan\n');
    expect(gantry(['train', '--config', nan, '--out', join(dir, 'nan-run')]).stderr).toContain(`${nan}: protocol.lr must be a number, got NaN`);
  });
  it('a truncated .npy header and an empty --samples folder are named as such', () => {
    const head = Buffer.alloc(10);
    head.write('\x93NUMPY', 0, 'latin1');
    head[6] = 1;
    head.writeUInt16LE(118, 8);
    const npy = join(dir, 'cut.npy');
    writeFileSync(npy, Buffer.concat([head, Buffer.from("{'descr': '<f4', 'fortran_order': False, 'shape': (", 'latin1')]));
    expect(gantry(['eval-images', '--samples', npy, '--reference', 'mnist']).stderr).toContain(`${npy}: the .npy header is cut short or damaged (61 bytes in the file, the header alone needs 128): save it again with np.save`);
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty, { recursive: true });
    const r = gantry(['eval-images', '--samples', empty, '--reference', 'mnist']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--samples ${empty}: no .png, .jpg or .jpeg files in this folder`);
    expect(r.stderr).not.toContain('--images');
  });
  it("an output .png that is a folder, a folder named a.png among --samples files, and out of memory with advice for the command", () => {
    const run = join(dir, 'for-output');
    expect(train('--out', run).status).toBe(0);
    const folder = join(dir, 'grid.png');
    mkdirSync(folder, { recursive: true });
    const r = gantry(['sample', run, '--n', '4', '--out', folder]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`gantry: cannot write ${folder}: a folder of that name is in the way; give another file name`);
    const huge = gantry(['sample', run, '--n', '4000000000000']);
    expect(huge.status).toBe(1);
    expect(huge.stderr.trim()).toBe("gantry: out of CPU memory allocating 32000000000000 bytes: lower what this command makes at once (--n, --batch-size, --eval-samples, --metric-samples, or the networks' width)");
  });
});
