// Nothing saved is lost when a write fails. An injected short or failed write leaves the old file
// and its `.prev` as they were; on a real, nearly full tmpfs a run stops with exit 74, names the file,
// the errno, the free space and its last good checkpoint, writes no final.json, and resumes once there
// is room. Mounting needs root (CI runs as root); where it is refused the tmpfs case says so.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const faults = vi.hoisted(() => ({ writeSync: null as null | ((real: typeof fs.writeSync, args: unknown[]) => number) }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeSync = (...args: unknown[]) => (faults.writeSync ? faults.writeSync(real.writeSync, args) : (real.writeSync as (...a: unknown[]) => number)(...args));
  return { ...real, writeSync, default: { ...real, writeSync } };
});
const { DiskWriteError, writeFileAtomic } = await import('../../src/torch/index.js');

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const env = { ...process.env, GANTRY_THREADS: '1' };
const gantry = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });

describe('an injected failed write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-disk-'));
  const path = join(dir, 'checkpoint.safetensors');
  const prev = join(dir, 'checkpoint.prev.safetensors');
  const leftovers = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));

  it('a short write that then finds no space: DiskWriteError, the last file and .prev untouched, no temporary file', () => {
    writeFileAtomic(path, 'first good', prev);
    writeFileAtomic(path, 'second good', prev);
    // Three bytes, then the kernel writes nothing more (as on a full disk).
    let calls = 0;
    faults.writeSync = (real, [fd, buf, off, len]) => (calls++ === 0 ? (real as (...a: unknown[]) => number)(fd, buf, off, Math.min(3, len as number)) : 0);
    let error: unknown;
    try {
      writeFileAtomic(path, 'third, never complete', prev);
    } catch (e) {
      error = e;
    } finally {
      faults.writeSync = null;
    }
    expect(error).toBeInstanceOf(DiskWriteError);
    expect((error as Error).message).toMatch(/cannot write .*checkpoint\.safetensors: ENOSPC \(short write: 3 of 21 bytes\); [0-9.]+ [KM]iB free on its disk/);
    expect(readFileSync(path, 'utf8')).toBe('second good');
    expect(readFileSync(prev, 'utf8')).toBe('first good');
    expect(leftovers()).toEqual([]);
  });
  it('a write that throws ENOSPC: the same', () => {
    faults.writeSync = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    try {
      expect(() => writeFileAtomic(path, 'third', prev)).toThrow(/ENOSPC \(0 of 5 bytes written\)/);
    } finally {
      faults.writeSync = null;
    }
    expect(readFileSync(path, 'utf8')).toBe('second good');
    expect(readFileSync(prev, 'utf8')).toBe('first good');
    expect(leftovers()).toEqual([]);
  });
  it('short writes that make progress are completed, not mistaken for failures', () => {
    faults.writeSync = (real, [fd, buf, off, len]) => (real as (...a: unknown[]) => number)(fd, buf, off, Math.min(2, len as number));
    try {
      writeFileAtomic(path, 'written two bytes at a time', prev);
    } finally {
      faults.writeSync = null;
    }
    expect(readFileSync(path, 'utf8')).toBe('written two bytes at a time');
    expect(readFileSync(prev, 'utf8')).toBe('second good');
  });
});

const mnt = mkdtempSync(join(tmpdir(), 'gantry-tmpfs-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status === 0;
afterAll(() => {
  if (mounted) spawnSync('umount', [mnt]);
});

/** The step recorded in a checkpoint's safetensors header (gantry's metadata). */
function checkpointStep(path: string): number {
  const buf = readFileSync(path);
  const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8'));
  return JSON.parse(header.__metadata__.gantry).step;
}

describe('a full disk for real (a 1 MiB tmpfs)', () => {
  it.skipIf(!mounted)('a run that fills the disk stops with exit 74 and says what is true; nothing saved is lost; it resumes once there is room (skipped where tmpfs cannot be mounted: needs root)', () => {
    // Leave ~60 KiB: config, metrics and the small networks' checkpoints fit, the samples and plots do not.
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024 - 60 * 1024));
    const out = join(mnt, 'run');
    const args = ['train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '200', '--seed', '1', '--hidden', '16,16', '--checkpoint-every', '50', '--eval-every', '0', '--view-every', '0', '--quiet', '--out', out];
    const r = gantry(...args);
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toMatch(/gantry: cannot write .*run\/[\w.-]+: ENOSPC/);
    expect(r.stderr).toMatch(/[KM]iB free on its disk/);
    const said = /the last good checkpoint is at step (\d+): free some space and continue with gantry train --resume (\S+)/.exec(r.stderr);
    expect(said?.[2]).toBe(out);
    // It is whole, and at the step the message names.
    expect(checkpointStep(join(out, 'checkpoint.safetensors'))).toBe(Number(said![1]));
    expect(r.stderr).not.toMatch(/checkpoint is saved/);
    expect(existsSync(join(out, 'final.json'))).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // The checkpoint is whole: eval reads it.
    expect(gantry('eval', out, '--json').status).toBe(0);
    rmSync(filler);
    const again = gantry('train', '--resume', out, '--quiet');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'final.json'), 'utf8')).modes_max).toBe(8);
    expect(existsSync(join(out, 'samples.csv'))).toBe(true);
  });
});
