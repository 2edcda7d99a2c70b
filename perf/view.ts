/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// `npm run perf:view`: the live view's figures, one JSON line each, measured with Debian's chromium
// (headless, through playwright-core) on real runs:
//   overhead  nsgan on the ring, steps/s without and with `--dashboard` and a browser on the page,
//             interleaved (A B A B …) in one run; ratio = with / without per round, averaged (goal ≥ 0.95).
//   latency   a snapshot written into a run folder → drawn on the page (the page's own clock at the
//             draw minus the clock at the write; goal ≤ 1 s), over several writes.
//   scale     20 runs × 20,000 steps of metrics (every step logged) ticked together on one page: the
//             points loaded, how long the curves take to draw, and a slider move's redraw (goal ≤ 100 ms).
//   report    the size of report.html of a 20,000-step ring run at the default view cadence (goal ≤ 5 MB).
// Run it on a quiet machine: a second process on 2 cores distorts every figure.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { cpuKind } from '../src/torch/cpu.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { chromium as browserType, type Browser } from 'playwright-core';
import { positiveInt } from './options.js';
import { serve } from '../src/serve/server.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');

const program = new Command('perf:view')
  .description("the live view's overhead, latency, scale and report size, in a real browser")
  .option('--figures <list>', 'which: overhead, latency, scale, report', 'overhead,latency,scale,report')
  .option('--steps <n>', 'steps of each overhead run', positiveInt('--steps'), 6000)
  .option('--rounds <n>', 'overhead rounds (one run without, one with the dashboard, each)', positiveInt('--rounds'), 3)
  .option('--chromium <path>', "Debian's chromium", '/usr/bin/chromium')
  .parse();
const o = program.opts<{ figures: string; steps: number; rounds: number; chromium: string }>();
const figures = new Set(o.figures.split(','));
const work = mkdtempSync(join(tmpdir(), 'gantry-perf-view-'));
const cpu = cpuKind().label;
const print = (line: Record<string, unknown>) => console.log(JSON.stringify({ ...line, cpu, cores: cpus().length }));

const launch = () => browserType.launch({ executablePath: o.chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });

/** `gantry train …` (one thread); with `onUrl`, --dashboard and the page's URL handed over once printed. */
function train(args: string[], onUrl?: (url: string) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, 'train', '--quiet', ...args, ...(onUrl ? ['--dashboard'] : [])], { env: { ...process.env, GANTRY_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let handed = false;
    let attached: Promise<void> = Promise.resolve();
    p.stderr!.on('data', (d) => {
      stderr += d;
      const m = /live view at (http:\/\/\S+)/.exec(stderr);
      if (m && onUrl && !handed) {
        handed = true;
        attached = onUrl(m[1]);
      }
    });
    p.on('exit', async (code) => {
      await attached.catch(() => undefined);
      code === 0 ? resolve() : reject(new Error(`gantry train ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}
const stepsPerSecond = (dir: string) => (JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8')) as { steps_per_second: number }).steps_per_second;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function overhead(browser: Browser): Promise<void> {
  const without: number[] = [];
  const withView: number[] = [];
  const args = (name: string) => ['--method', 'nsgan', '--dataset', 'ring', '--steps', String(o.steps), '--eval-every', '1000', '--out', join(work, 'overhead', name)];
  for (let r = 0; r < o.rounds; r++) {
    await train(args(`plain-${r}`));
    without.push(stepsPerSecond(join(work, 'overhead', `plain-${r}`)));
    const page = await browser.newPage();
    await train(args(`dashboard-${r}`), async (url) => {
      await page.goto(url);
    });
    await page.close();
    withView.push(stepsPerSecond(join(work, 'overhead', `dashboard-${r}`)));
  }
  // Each round's pair ran back to back: their ratio cancels the machine's drift between rounds.
  const ratios = withView.map((w, i) => +(w / without[i]).toFixed(3));
  const ratio = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  print({ figure: 'overhead', run: `nsgan ring ${o.steps} steps, 1 thread, view every 100`, without, with_dashboard_and_browser: withView, ratios, ratio: +ratio.toFixed(3), goal: 'mean ratio >= 0.95', met: ratio >= 0.95 });
}

/** A finished short ring run whose snapshots the latency and scale figures copy. */
async function templateRun(): Promise<string> {
  const dir = join(work, 'template');
  await train(['--method', 'nsgan', '--dataset', 'ring', '--steps', '200', '--view-every', '100', '--eval-every', '100', '--out', dir]);
  return dir;
}

async function latency(browser: Browser, template: string): Promise<void> {
  const root = join(work, 'latency');
  const run = join(root, 'ring');
  mkdirSync(join(run, 'view'), { recursive: true });
  for (const f of ['config.json', 'metrics.jsonl']) cpSync(join(template, f), join(run, f));
  cpSync(join(template, 'view', 'data.json'), join(run, 'view', 'data.json'));
  const snap = JSON.parse(readFileSync(join(template, 'view', 'step-0000200.json'), 'utf8')) as { step: number };
  const write = (step: number) => writeFileSync(join(run, 'view', `step-${String(step).padStart(7, '0')}.json`), JSON.stringify({ ...snap, step }));
  write(100);
  const { server, url } = await serve({ root });
  const page = await browser.newPage();
  try {
    await page.goto(`${url}?run=ring`);
    await page.waitForFunction(() => document.getElementById('step-label')?.textContent === 'step 100');
    const ms: number[] = [];
    for (let i = 1; i <= 10; i++) {
      const step = 100 + 100 * i;
      // The page notes the wall clock when the label shows the new step (the canvas is drawn by then).
      const drawn = page.evaluate(
        (s) =>
          new Promise<number>((resolve) => {
            const label = document.getElementById('step-label')!;
            const seen = () => label.textContent === `step ${s}` && (resolve(performance.timeOrigin + performance.now()), true);
            if (!seen()) new MutationObserver((_, obs) => seen() && obs.disconnect()).observe(label, { childList: true, characterData: true, subtree: true });
          }),
        step,
      );
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.timeOrigin + performance.now();
      write(step);
      ms.push(+((await drawn) - t0).toFixed(1));
      await new Promise((r) => setTimeout(r, 200 + 97 * (i % 3)));
    }
    const m = median(ms);
    print({ figure: 'latency', what: 'snapshot written → drawn on the page (server polls every 300 ms)', ms, median_ms: m, max_ms: Math.max(...ms), goal: 'max <= 1000 ms', met: Math.max(...ms) <= 1000 });
  } finally {
    await page.close();
    server.close();
  }
}

async function scale(browser: Browser, template: string): Promise<void> {
  const root = join(work, 'scale');
  const runs = 20;
  const steps = 20_000;
  const views = readdirSync(join(template, 'view')).filter((f) => /^step-\d+\.json$/.test(f));
  const snap = JSON.parse(readFileSync(join(template, 'view', views.at(-1)!), 'utf8')) as { step: number };
  for (let r = 0; r < runs; r++) {
    const run = join(root, `seed-${r + 1}`);
    mkdirSync(join(run, 'view'), { recursive: true });
    const config = JSON.parse(readFileSync(join(template, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(run, 'config.json'), JSON.stringify({ ...config, seed: r + 1, steps }));
    cpSync(join(template, 'view', 'data.json'), join(run, 'view', 'data.json'));
    // Every step logged (four losses), an evaluation every 1,000 steps; snapshots every 100 steps.
    const lines: string[] = [];
    let d = 1.3;
    let g = 0.8;
    for (let s = 1; s <= steps; s++) {
      d = Math.abs(d + 0.02 * Math.sin(s * 0.37 + r));
      g = Math.abs(g + 0.02 * Math.cos(s * 0.11 + r));
      const losses = { d, g, grad_norm_D: 1 + d, grad_norm_G: 1 + g };
      lines.push(JSON.stringify(s % 1000 === 0 ? { step: s, seconds: s / 300, losses, modes: 8, modes_max: 8, high_quality: 0.9, reverse_kl: 0.01, n: 2500 } : { step: s, seconds: s / 300, losses }));
    }
    writeFileSync(join(run, 'metrics.jsonl'), lines.join('\n') + '\n');
    for (let s = 0; s <= steps; s += 100) writeFileSync(join(run, 'view', `step-${String(s).padStart(7, '0')}.json`), JSON.stringify({ ...snap, step: s }));
  }
  const { server, url } = await serve({ root });
  const page = await browser.newPage();
  try {
    await page.goto(`${url}?run=seed-1`);
    await page.waitForSelector('.chart[data-title="losses"] canvas');
    const t0 = Date.now();
    for (const box of await page.$$('#runs input[type=checkbox]')) await box.check();
    await page.waitForFunction((n) => (document.querySelector('.chart[data-title="losses"]')?.getAttribute('data-points') ?? '') === String(n), runs * steps * 2, { timeout: 120_000 });
    const tickAll = Date.now() - t0;
    // One redraw of every chart with all 20 runs (a smoothing change), until the title says so.
    const t1 = Date.now();
    await page.fill('#smooth', '100');
    await page.dispatchEvent('#smooth', 'change');
    await page.waitForFunction(() => /moving average over 100 steps/.test(document.querySelector('.chart[data-title="losses"] .u-title')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const redraw = Date.now() - t1;
    const points = await page.evaluate(() => [...document.querySelectorAll('.chart')].reduce((a, c) => a + Number(c.getAttribute('data-points')), 0));
    // Slider moves to snapshots not yet seen (fetched) and seen (cached): time until the label and canvas show it.
    const ms: number[] = [];
    for (const at of [50, 120, 10, 199, 75, 50, 120, 10, 199, 75]) {
      ms.push(
        await page.evaluate(
          (i) =>
            new Promise<number>((resolve) => {
              const slider = document.getElementById('slider') as HTMLInputElement;
              const label = document.getElementById('step-label')!;
              const t = performance.now();
              const want = `step ${i * 100}`;
              const done = () => requestAnimationFrame(() => resolve(+(performance.now() - t).toFixed(1)));
              new MutationObserver((_, obs) => label.textContent === want && (obs.disconnect(), done())).observe(label, { childList: true, characterData: true, subtree: true });
              slider.value = String(i);
              slider.dispatchEvent(new Event('input'));
            }),
          at,
        ),
      );
    }
    print({ figure: 'scale', runs, steps, points_loaded: points, tick_all_ms: tickAll, redraw_all_ms: redraw, slider_ms: ms, slider_max_ms: Math.max(...ms), goal: 'slider redraw <= 100 ms', met: Math.max(...ms) <= 100 });
  } finally {
    await page.close();
    server.close();
  }
}

async function reportSize(): Promise<void> {
  const dir = join(work, 'report-ring');
  await train(['--method', 'nsgan', '--dataset', 'ring', '--steps', '20000', '--out', dir]);
  const bytes = statSync(join(dir, 'report.html')).size;
  const snapshots = readdirSync(join(dir, 'view')).filter((f) => f.startsWith('step-')).length;
  print({ figure: 'report', run: 'nsgan ring 20000 steps, default cadences', snapshots_written: snapshots, report_bytes: bytes, report_mb: +(bytes / 2 ** 20).toFixed(2), goal: '<= 5 MB', met: bytes <= 5 * 2 ** 20 });
}

const browser = await launch();
try {
  if (figures.has('overhead')) await overhead(browser);
  const template = figures.has('latency') || figures.has('scale') ? await templateRun() : '';
  if (figures.has('latency')) await latency(browser, template);
  if (figures.has('scale')) await scale(browser, template);
  if (figures.has('report')) await reportSize();
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
