// One writer per run folder: an exclusive lock file (.gantry.lock, created with O_EXCL) holding the
// writer's pid, host, start time and command. A second writer is refused before it writes anything,
// naming the holder; a lock left by a process that died (SIGKILL, a crash) on this host is taken
// over with a message. Readers (`gantry eval`, `sample`, a live view) take no lock.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { folderProblem } from '../torch/index.js';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = '.gantry.lock';

interface Holder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** A run folder another process is writing. */
export class RunLockedError extends Error {}

const held = new Map<string, number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): Holder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return null; // being written, or not ours
  }
}

/**
 * Takes the folder's lock (creating the folder), or throws RunLockedError naming who holds it.
 * Re-entrant within one process. Returns the release, which also runs when the process exits.
 */
export function lockRunFolder(dir: string, log?: (s: string) => void): () => void {
  const key = resolve(dir);
  const path = join(key, LOCK_FILE);
  let created = false;
  const release = () => {
    const n = (held.get(key) ?? 0) - 1;
    if (n > 0) return void held.set(key, n);
    held.delete(key);
    process.off('exit', release);
    if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
    // A folder made only to hold the lock (the run was refused before writing) goes again.
    if (created && existsSync(key) && readdirSync(key).length === 0) rmdirSync(key);
  };
  if (held.has(key)) {
    held.set(key, held.get(key)! + 1);
    return release;
  }
  const problem = existsSync(key) && statSync(key).isDirectory() ? null : folderProblem(key);
  if (problem) throw new Error(`gantry: cannot create the run folder ${dir}: ${problem}; choose another --out`);
  created = !existsSync(key);
  mkdirSync(key, { recursive: true });
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify(me) + '\n');
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    const h = readHolder(path);
    if (h && h.host === me.host && !alive(h.pid)) {
      log?.(`${dir}: taking over the lock of pid ${h.pid} (started ${h.started}), which is no longer running`);
      rmSync(path, { force: true });
      continue;
    }
    const who = h ? `pid ${h.pid} on ${h.host}, since ${h.started} (${h.command})` : `another process (${path} is there)`;
    const fix = h && h.host !== me.host ? `if that process is gone, delete ${path}` : 'wait for it to finish or stop it (Ctrl-C), then try again';
    throw new RunLockedError(`gantry: ${dir} is being written by ${who}: ${fix}`);
  }
  held.set(key, 1);
  process.on('exit', release);
  return release;
}
