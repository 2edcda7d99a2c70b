// `gantry serve`: a read-only HTTP server over a folder of run folders, for the live view. It reads
// what the trainer writes (config.json, metrics.jsonl, view/, the PNGs) and never writes, deletes or
// starts anything. Only files under the root are reachable: `..`, encoded dots, absolute paths and
// symbolic links that leave the root are refused. Live updates go out as server-sent events when a
// run's files change (polled, so a run on another machine writing to a shared disk is seen too).
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { viewIndex } from '../report/view-index.js';
import { packageRoot, readJsonLines } from '../torch/index.js';

// The page's files ship in src/serve/page/, beside dist/.
const PAGE = join(packageRoot(), 'src', 'serve', 'page');
const require = createRequire(import.meta.url);
/** Third-party scripts and styles the page loads, from the package's own node_modules (no CDN). */
const VENDOR: Record<string, string> = {
  'uPlot.iife.min.js': join(dirname(require.resolve('uplot')), 'uPlot.iife.min.js'),
  'uPlot.min.css': join(dirname(require.resolve('uplot')), 'uPlot.min.css'),
};
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.png': 'image/png' };

export interface RunEntry {
  /** The run folder relative to the root, with / separators. */
  path: string;
  method: string;
  dataset: string;
  seed: number;
  steps: number;
  finished: boolean;
}

/** Run folders (those with a config.json) under `root`, at most `depth` levels down. */
export function listRuns(root: string, depth = 6): RunEntry[] {
  const out: RunEntry[] = [];
  const walk = (dir: string, left: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    if (entries.includes('config.json')) {
      try {
        const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        out.push({ path: relative(root, dir).split(sep).join('/') || '.', method: String(c.method), dataset: String(c.dataset?.name ?? c.dataset?.data ?? '?'), seed: Number(c.seed), steps: Number(c.steps), finished: entries.includes('final.json') });
      } catch {
        // a config.json being written: the next listing has it
      }
    }
    // Real folders only: a symbolic link could lead out of the root, or round in a circle.
    if (left > 0) for (const e of entries.sort()) if (!e.startsWith('.') && e !== 'view' && lstatSync(join(dir, e), { throwIfNoEntry: false })?.isDirectory()) walk(join(dir, e), left - 1);
  };
  walk(root, depth);
  return out;
}

/**
 * The file under `root` that a request path names, or null: decoded once, no `..` segment, no
 * absolute path, and its real path (symbolic links followed) still inside the root's real path.
 */
export function resolveInside(root: string, urlPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.split(/[\\/]/).some((s) => s === '..')) return null;
  const full = resolve(root, '.' + (rel.startsWith('/') ? rel : '/' + rel));
  const realRoot = realpathSync(root);
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    return null;
  }
  return real === realRoot || real.startsWith(realRoot + sep) ? real : null;
}

/** A fingerprint of what the page shows of a run: changes when the trainer writes. */
function stamp(dir: string): string {
  const parts: string[] = [];
  for (const f of ['metrics.jsonl', 'final.json', 'alarms.jsonl']) {
    const s = statSync(join(dir, f), { throwIfNoEntry: false });
    if (s) parts.push(`${f}:${s.size}:${s.mtimeMs}`);
  }
  const v = statSync(join(dir, 'view'), { throwIfNoEntry: false });
  if (v) parts.push(`view:${v.mtimeMs}`);
  return parts.join('|');
}

export interface ServeOptions {
  root: string;
  port?: number;
  host?: string;
  /** How often run folders are checked for changes (ms). */
  pollMs?: number;
}

/** Starts the server; resolves once it listens, with its URL. */
export function serve(o: ServeOptions): Promise<{ server: Server; url: string }> {
  const root = resolve(o.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`invalid root ${o.root}: not a folder (give the folder that holds your run folders, e.g. runs/)`);
  const clients = new Set<ServerResponse>();
  const stamps = new Map<string, string>();
  const poll = setInterval(() => {
    if (!clients.size) return;
    for (const run of listRuns(root)) {
      const s = stamp(join(root, run.path));
      if (stamps.get(run.path) !== s) {
        stamps.set(run.path, s);
        for (const c of clients) c.write(`event: run\ndata: ${JSON.stringify({ path: run.path, finished: run.finished })}\n\n`);
      }
    }
  }, o.pollMs ?? 300);
  poll.unref();

  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only: only GET');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/' || path === '/index.html') return send(res, 200, readFileSync(join(PAGE, 'index.html')), TYPES['.html']);
    if (path.startsWith('/page/')) {
      const name = path.slice('/page/'.length);
      if (!/^[\w.-]+$/.test(name) || !existsSync(join(PAGE, name))) return send(res, 404, 'not found');
      return send(res, 200, readFileSync(join(PAGE, name)), TYPES[extname(name)] ?? 'application/octet-stream');
    }
    if (path.startsWith('/vendor/')) {
      const file = VENDOR[path.slice('/vendor/'.length)];
      return file ? send(res, 200, readFileSync(file), TYPES[extname(file)]) : send(res, 404, 'not found');
    }
    if (path === '/api/runs') return send(res, 200, JSON.stringify(listRuns(root)), TYPES['.json']);
    if (path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (path.startsWith('/api/metrics/')) {
      const dir = resolveInside(root, path.slice('/api/metrics/'.length));
      if (!dir || !existsSync(join(dir, 'config.json'))) return send(res, 404, 'no such run');
      return send(res, 200, JSON.stringify({ ...readJsonLines(join(dir, 'metrics.jsonl')), alarms: readJsonLines(join(dir, 'alarms.jsonl')).lines }), TYPES['.json']);
    }
    if (path.startsWith('/api/views/')) {
      const dir = resolveInside(root, path.slice('/api/views/'.length));
      if (!dir) return send(res, 404, 'no such run');
      const { files: _files, ...index } = viewIndex(dir);
      return send(res, 200, JSON.stringify(index), TYPES['.json']);
    }
    if (path.startsWith('/runs/')) {
      const file = resolveInside(root, path.slice('/runs/'.length));
      if (!file) return send(res, 403, 'outside the served folder, or not there');
      if (!statSync(file).isFile()) return send(res, 404, 'not a file');
      return send(res, 200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
    }
    return send(res, 404, 'not found');
  };
  const server = createServer((req, res) => {
    try {
      handler(req, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `gantry serve: ${(e as Error).message}`);
      else res.end();
    }
  });
  const host = o.host ?? '127.0.0.1';
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : o.port;
      resolveListen({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/` });
    });
  });
}
