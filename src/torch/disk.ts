// Writing files so that nothing already saved is lost: every write checks that it wrote every
// byte; a file replaces the old one only once it is complete and verified (size and sha256 read
// back), the folder is fsynced after the rename, and a failed write removes its temporary file and
// throws DiskWriteError naming the file, the errno and the free space, with the old file untouched.
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A write that did not complete (a full disk, a read-only folder, …); what was saved before is intact. */
export class DiskWriteError extends Error {
  /** sysexits' EX_IOERR: a run stopped by a failed write exits with it. */
  static readonly exitCode = 74;
  constructor(
    readonly path: string,
    readonly code: string,
    detail: string,
  ) {
    super(`cannot write ${path}: ${code}${detail ? ` (${detail})` : ''}; ${freeSpace(path)}`);
  }
}

function freeSpace(path: string): string {
  try {
    const s = statfsSync(dirname(path));
    const bytes = s.bavail * s.bsize;
    return bytes < 2 ** 20 ? `${Math.floor(bytes / 1024)} KiB free on its disk` : `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB free on its disk`;
  } catch {
    return 'free space unknown';
  }
}

const toBuffer = (data: string | Buffer) => (typeof data === 'string' ? Buffer.from(data) : data);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every byte of `data` at the file's current position, or DiskWriteError (short writes are retried, 0 bytes is a failure). */
function writeAll(fd: number, data: Buffer, path: string): void {
  let done = 0;
  while (done < data.length) {
    let n: number;
    try {
      n = writeSync(fd, data, done, data.length - done);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new DiskWriteError(path, err.code ?? 'EIO', `${done} of ${data.length} bytes written`);
    }
    if (n <= 0) throw new DiskWriteError(path, 'ENOSPC', `short write: ${done} of ${data.length} bytes`);
    done += n;
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file atomically: a temporary file beside it, every byte checked, fsynced, read back and
 * compared (size and sha256), then renamed over the target and the folder fsynced. With `previous`,
 * the file being replaced is kept under that name first (the last good one); that happens only once
 * the new file is verified, so `previous` is always a file that was complete when it was written.
 */
export function writeFileAtomic(path: string, data: string | Buffer, previous?: string): void {
  const bytes = toBuffer(data);
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`gantry: cannot write ${path}: a folder of that name is in the way; give another file name`);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    let fd: number;
    try {
      fd = openSync(tmp, 'w');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new DiskWriteError(path, err.code ?? 'EIO', err.code === 'ENOENT' ? 'its folder does not exist' : 'cannot create the file');
    }
    try {
      writeAll(fd, bytes, path);
      try {
        fsyncSync(fd);
      } catch (e) {
        throw new DiskWriteError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', 'fsync failed');
      }
    } finally {
      closeSync(fd);
    }
    const back = readFileSync(tmp);
    if (back.length !== bytes.length || sha256(back) !== sha256(bytes)) throw new DiskWriteError(path, 'EIO', `read back ${back.length} of ${bytes.length} bytes, or different bytes`);
    try {
      if (previous && existsSync(path)) renameSync(path, previous);
      renameSync(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new DiskWriteError(path, code, code === 'EISDIR' || code === 'ENOTEMPTY' ? 'a folder of that name is in the way' : 'cannot rename into place');
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
}

/**
 * Why `dir` cannot be created or written, or null: the nearest part of the path that exists is a
 * file, or is not writable (a read-only disk, no permission).
 */
export function folderProblem(dir: string): string | null {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    if (!statSync(at).isDirectory()) return `${at} is a file, not a folder`;
    accessSync(at, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EACCES';
    return `${at} is not writable (${code}${code === 'EROFS' ? ': a read-only disk' : code === 'EACCES' || code === 'EPERM' ? ': no permission' : ''})`;
  }
  return null;
}

/** Appends `text` to a file (metrics.jsonl), every byte checked. */
export function appendChecked(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    throw new DiskWriteError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', 'cannot open for appending');
  }
  try {
    writeAll(fd, Buffer.from(text), path);
  } finally {
    closeSync(fd);
  }
}

/**
 * A JSON-lines file (metrics.jsonl, alarms.jsonl) read by someone else than its writer: a malformed
 * or half-written line (the writer is mid-append) is skipped and counted, never fatal.
 */
export function readJsonLines(path: string): { lines: unknown[]; skipped: number } {
  if (!existsSync(path)) return { lines: [], skipped: 0 };
  let skipped = 0;
  const lines: unknown[] = [];
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    if (!l) continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      skipped++;
    }
  }
  return { lines, skipped };
}
