// `gantry serve [root]`: the live view of every run folder under root, read-only, on 127.0.0.1
// unless --host says otherwise. `gantry train|bench … --dashboard` starts it in a child process (the
// training loop never yields to Node's event loop, so the server cannot live on its thread).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { serve } from '../serve/server.js';
import { int } from './parsers.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .argument('[root]', 'the folder that holds the run folders', 'runs')
    .description('a live view of every run under root in the browser (read-only; updates while runs train)')
    .option('--port <n>', 'port (0: any free one)', int('--port'), 8833)
    .option('--host <address>', 'address to listen on; anything but loopback makes the runs readable on that network', '127.0.0.1')
    .action(async (root: string, o: { port: number; host: string }) => {
      if (!LOOPBACK.has(o.host)) console.error(`gantry serve: warning: listening on ${o.host}: every run under ${root} is readable by anyone who can reach this machine on that network`);
      let url: string;
      try {
        ({ url } = await serve({ root, port: o.port, host: o.host }));
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') throw new Error(`invalid --port ${o.port}: in use by another program; choose another, or --port 0 for any free one`);
        throw e;
      }
      // Started by --dashboard: the channel to the parent closes when the parent ends, however it
      // ends (SIGKILL included), and the server ends with it.
      if (process.send) {
        process.on('disconnect', () => process.exit(0));
        process.send({ url });
      }
      else console.log(`gantry serve: ${url} (the runs under ${root}); Ctrl-C to stop`);
      await new Promise(() => {});
    });
}

/** Starts `gantry serve root` in a child process; resolves with its URL. The child ends with this process. */
export function startDashboard(root: string, port = 0): Promise<{ url: string; child: ChildProcess }> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = fork(main, ['serve', root, '--port', String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, GANTRY_THREADS: '1' } });
  const stop = () => child.kill();
  process.on('exit', stop);
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ url: m.url, child }));
    child.once('exit', (code) => reject(new Error(`gantry: the dashboard server stopped before it listened (exit ${code})`)));
  });
}

/**
 * `work` with the live view of the runs under `root` beside it when `on` (the URL printed, with
 * `query` to open one run). When the work is done, a terminal keeps the page up until Ctrl-C (the
 * finished runs stay worth a look); a script's or a pipe's command ends and takes the server with it.
 */
export async function besideDashboard<T>(on: boolean, root: string, query: string, work: () => T | Promise<T>): Promise<T> {
  if (!on) return work();
  mkdirSync(root, { recursive: true });
  const { url, child } = await startDashboard(root);
  console.error(`gantry: live view at ${url}${query}`);
  try {
    return await work();
  } finally {
    if (process.stderr.isTTY) console.error(`gantry: the live view stays at ${url}${query} until Ctrl-C`);
    else child.kill();
  }
}
