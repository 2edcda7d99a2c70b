// A user's data files: good ones load, bad ones name the file and line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grid, highDim, loadDataset, parseSigma, readPoints, ring } from '../../src/data/index.js';
import { manualSeed } from '../../src/torch/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gantry-data-'));
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function npy(rows: number[][], descr = '<f8'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows.length}, ${rows[0]?.length ?? 0}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const body = Buffer.alloc(rows.length * (rows[0]?.length ?? 0) * 8);
  rows.flat().forEach((v, i) => body.writeDoubleLE(v, i * 8));
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

describe('reading points', () => {
  it('CSV with a header row and blank lines', () => {
    expect(readPoints(file('ok.csv', 'x,y\n1,2\n\n3.5,-4\n'))).toEqual([[1, 2], [3.5, -4]]);
  });
  it('.npy float64', () => {
    expect(readPoints(file('ok.npy', npy([[1, 2], [3, 4], [5, 6]])))).toEqual([[1, 2], [3, 4], [5, 6]]);
  });
  it('ragged rows name the line', () => {
    expect(() => readPoints(file('ragged.csv', '1,2\n3,4\n5\n'))).toThrow(/ragged\.csv, line 3: 1 columns but earlier rows have 2/);
  });
  it('NaN names the line and the cell', () => {
    expect(() => readPoints(file('nan.csv', '1,2\nNaN,4\n'))).toThrow(/nan\.csv, line 2: 'NaN' is not a decimal number/);
  });
  it('an empty cell, a hex number and a binary file are refused with the file and line, not read as 0 or 16', () => {
    expect(() => readPoints(file('empty-cell.csv', '1,2\n3,\n'))).toThrow(/empty-cell\.csv, line 2: empty cell in column 2/);
    expect(() => readPoints(file('double-comma.csv', '1,,2\n'))).toThrow(/double-comma\.csv, line 1: empty cell in column 2/);
    expect(() => readPoints(file('hex.csv', '1,2\n0x10,4\n'))).toThrow(/hex\.csv, line 2: '0x10' is not a decimal number/);
    expect(() => readPoints(file('binary.csv', '\u0000\u0001\u0002\u00ff'))).toThrow(/binary\.csv: not a text file/);
    expect(readPoints(file('ok.csv', 'x y\n1 -2.5\n.5 3e-4\n'))).toEqual([[1, -2.5], [0.5, 3e-4]]);
  });
  it('wrong dimension', () => {
    expect(() => readPoints(file('dim.csv', '1,2,3\n'), { dim: 2 })).toThrow(/dim\.csv, line 1: 3 columns but the data has dimension 2/);
  });
  it('empty files', () => {
    expect(() => readPoints(file('empty.csv', '\n\n'))).toThrow(/empty\.csv: no data rows/);
    expect(() => readPoints(file('empty.npy', npy([[]]).subarray(0, 5)))).toThrow(/not a \.npy file/);
  });
  it('a missing file', () => {
    expect(() => readPoints(join(dir, 'nope.csv'))).toThrow(/nope\.csv: cannot read \(ENOENT\)/);
  });
  it('sigmas: one, per mode, or wrong count', () => {
    expect(parseSigma('0.1', 3)).toBe(0.1);
    expect(parseSigma('0.1,0.2,0.3', 3)).toEqual([0.1, 0.2, 0.3]);
    expect(() => parseSigma('0.1,0.2', 3)).toThrow(/2 sigmas for 3 modes/);
    expect(() => parseSigma('-1', 3)).toThrow(/positive/);
  });
  it('user data with modes gives a dataset with a target', () => {
    const d = loadDataset({ data: file('pts.csv', '0,0\n1,1\n'), modes: file('m.csv', '0,0\n1,1\n'), sigma: '0.1' });
    expect(d.shape).toEqual({ kind: 'points', dim: 2 });
    expect(d.target!.sigmas).toEqual([0.1, 0.1]);
    expect(() => loadDataset({ data: file('p2.csv', '0,0\n'), modes: file('m3.csv', '0,0,0\n'), sigma: '1' })).toThrow(/m3\.csv, line 1: 3 columns but the data has dimension 2/);
  });
});

describe('pinned mixtures', () => {
  it('ring: 8 distinct means at radius 2, σ 0.02', () => {
    const r = ring();
    const m = r.means.toNumbers();
    for (let k = 0; k < 8; k++) expect(Math.hypot(m[2 * k], m[2 * k + 1])).toBeCloseTo(2, 6);
    expect(new Set(m.map((v) => v.toFixed(4))).size).toBeGreaterThan(4);
    expect(r.sigmas[0]).toBe(0.02);
  });
  it('grid: 25 means on {-4,-2,0,2,4}²', () => {
    const g = grid();
    expect(g.k).toBe(25);
    expect(new Set(g.means.toNumbers())).toEqual(new Set([-4, -2, 0, 2, 4]));
  });
  it('1200-D: fixed means, samples ≈ σ from their mean in a 700-D subspace', () => {
    const a = highDim();
    const b = highDim();
    expect(a.means.toNumbers().slice(0, 5)).toEqual(b.means.toNumbers().slice(0, 5));
    manualSeed(1);
    const x = a.sample(200);
    const d = x.sub(a.means.indexSelect(0, x.matmul(a.means.T).argmax(1))).norm(2, 1).mean().item();
    expect(d).toBeGreaterThan(0.9);
    expect(d).toBeLessThan(1.1);
  });
});
