// report.html: the live view's page with everything inlined (scripts, styles, the runs' metrics,
// view snapshots and sample grids as data), so one file opens from disk with no network and shows
// what `gantry serve` shows. The page and the report share one code path: the page reads its data
// through one function, which finds it inlined here and asks the server otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { engineInfo, packageRoot, readJsonLines, writeFileAtomic } from '../torch/index.js';
import { STEP_FILES, viewIndex } from './view-index.js';

/** Snapshots inlined in a report at most, over all its runs (evenly spaced, each run's last always). */
const SNAPSHOT_BUDGET = 300;

/**
 * A benchmark job's view settings: at most 20 snapshots a run, and no report.html of its own (the
 * benchmark's report holds every run): a 195-run table would otherwise write gigabytes.
 */
export const BENCH_VIEWS = (steps: number) => ({ viewEvery: Math.max(100, Math.ceil(steps / 20)), report: false });

const readJson = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
};
/** What the report was made on: gantry's version and commit, libtorch, CPU, BLAS, threads. */
function environment(): Record<string, unknown> {
  const root = packageRoot();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout (an installed package)
  }
  const info = engineInfo();
  return { gantry: (readJson(join(root, 'package.json')) as { version: string }).version, commit, libtorch: info.libtorch, cpu: info.cpu, blas: info.blas, threads: info.threads, node: process.version, written: new Date().toISOString() };
}

/**
 * Writes `out` (report.html) for the run folders `runs` (paths relative to `root`): the page of
 * src/serve/page with its data, scripts and styles inlined.
 */
export function writeHtmlReport(out: string, root: string, runs: string[]): void {
  const pkg = packageRoot();
  const page = join(pkg, 'src', 'serve', 'page');
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot'));
  const data: Record<string, unknown> = {};
  const list: unknown[] = [];
  const perRun = Math.max(5, Math.min(100, Math.floor(SNAPSHOT_BUDGET / Math.max(1, runs.length))));
  for (const path of runs) {
    const dir = join(root, path);
    const key = path.split(sep).join('/');
    const config = readJson(join(dir, 'config.json')) as Record<string, unknown> & { dataset?: { name?: string }; method: string; seed: number; steps: number };
    if (!config) continue;
    list.push({ path: key, method: config.method, dataset: String(config.dataset?.name ?? '?'), seed: config.seed, steps: config.steps, finished: existsSync(join(dir, 'final.json')) });
    const enc = key.split('/').map(encodeURIComponent).join('/');
    data[`runs/${enc}/config.json`] = config;
    data[`api/metrics/${enc}`] = { ...readJsonLines(join(dir, 'metrics.jsonl')), alarms: readJsonLines(join(dir, 'alarms.jsonl')).lines };
    const index = viewIndex(dir, { maxSnapshots: perRun });
    const png = (file: string) => `data:image/png;base64,${readFileSync(join(dir, file)).toString('base64')}`;
    for (const f of index.files) data[`runs/${enc}/view/${f}`] = readJson(join(dir, 'view', f));
    if (existsSync(join(dir, 'view', 'data.json'))) data[`runs/${enc}/view/data.json`] = readJson(join(dir, 'view', 'data.json'));
    for (const step of index.grids) data[`runs/${enc}/${STEP_FILES.grid(step)}`] = png(STEP_FILES.grid(step));
    for (const step of index.lensed) data[`runs/${enc}/${STEP_FILES.view('lensed', step)}`] = png(STEP_FILES.view('lensed', step));
    // Mode galleries, thinned as the snapshots are (the last always kept): a benchmark's report of
    // many image runs would otherwise carry one PNG per run per evaluation.
    const evals = index.evals.filter((_, i, all) => all.length <= perRun || i === all.length - 1 || i % Math.ceil(all.length / perRun) === 0);
    for (const ev of evals) {
      const g = `view/${STEP_FILES.gallery(ev.step)}`;
      if (existsSync(join(dir, g))) data[`runs/${enc}/${g}`] = png(g);
    }
    if (index.histogram) data[`runs/${enc}/modes-histogram.png`] = png('modes-histogram.png');
    const { files: _files, ...shown } = index;
    data[`api/views/${enc}`] = shown;
  }
  data['api/runs'] = list;
  const inline = { data, environment: environment(), title: relative(process.cwd(), out) };
  // `</script` inside the data would end the script early.
  const payload = JSON.stringify(inline).replace(/<\//g, '<\\/');
  let html = readFileSync(join(page, 'index.html'), 'utf8');
  html = html
    .replace('<link rel="stylesheet" href="vendor/uPlot.min.css">', () => `<style>${readFileSync(join(uplot, 'uPlot.min.css'), 'utf8')}</style>`)
    .replace('<link rel="stylesheet" href="page/style.css">', () => `<style>${readFileSync(join(page, 'style.css'), 'utf8')}</style>`)
    .replace('<script src="vendor/uPlot.iife.min.js"></script>', () => `<script>${readFileSync(join(uplot, 'uPlot.iife.min.js'), 'utf8')}</script>\n<script>window.GANTRY_REPORT = ${payload};</script>`)
    .replace('<script type="module" src="page/app.js"></script>', () => `<script type="module">${readFileSync(join(page, 'app.js'), 'utf8').replace(/<\/script/g, '<\\/script')}</script>`);
  writeFileAtomic(out, html);
}

/** Run folders (with a config.json) under `root`, relative to it, sorted. */
export function runFoldersUnder(root: string, depth = 6): string[] {
  const out: string[] = [];
  const walk = (dir: string, left: number) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.name === 'config.json' && e.isFile())) out.push(relative(root, dir) || '.');
    if (left > 0) for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'view') walk(join(dir, e.name), left - 1);
  };
  if (existsSync(root)) walk(root, depth);
  return out.sort();
}
