import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { F, profile, randn } from '../../src/torch/index.js';
import { selfTimes, type TraceEvent } from '../../perf/trace.js';

describe('the op profiler', () => {
  it('self times: a parent less the children it encloses, per thread', () => {
    const ev = (name: string, ts: number, dur: number, tid = 1): TraceEvent => ({ name, ph: 'X', ts, dur, tid });
    const t = selfTimes([
      ev('outer', 0, 100), ev('inner', 10, 30), ev('leaf', 15, 5), ev('inner', 50, 20), ev('other', 0, 40, 2),
      { name: 'meta', ph: 'M', ts: 0, dur: 0, tid: 1 },
    ]);
    expect(Object.fromEntries(t)).toEqual({
      outer: { us: 50, calls: 1 },
      inner: { us: 45, calls: 2 },
      leaf: { us: 5, calls: 1 },
      other: { us: 40, calls: 1 },
    });
  });

  it('writes a Chrome trace naming libtorch ops and gantry native kernels, and stops on a throw', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gantry-profile-')), 'trace.json');
    const x = randn([4, 3, 8, 8]);
    const w = randn([2, 3, 3, 3]); // 3 in, 2 out: the direct kernel
    expect(() =>
      profile(path, () => {
        x.matmul(x.transpose(2, 3));
        F.conv2d(x, w);
        throw new Error('inside');
      }),
    ).toThrow('inside');
    const names = new Set((JSON.parse(readFileSync(path, 'utf8')) as TraceEvent[]).map((e) => e.name));
    expect(names.has('aten::matmul')).toBe(true);
    expect(names.has('gantry::direct_conv2d')).toBe(true);
    // Stopped: a second run may start.
    profile(path, () => x.add(1));
    expect((JSON.parse(readFileSync(path, 'utf8')) as TraceEvent[]).some((e) => e.name === 'aten::add')).toBe(true);
  });
});
