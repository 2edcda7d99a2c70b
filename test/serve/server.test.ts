// `gantry serve`: read-only, only what is under its root, and a half-written metrics line never
// breaks it. Then the live view in a real browser (Debian's chromium through playwright-core)
// while a real `gantry train --dashboard` trains on the ring.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/serve/server.js';

const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const base = mkdtempSync(join(tmpdir(), 'gantry-serve-'));
/** A raw GET (no URL normalisation by the client), resolving with the status and body. */
const get = (url: string, path: string, method = 'GET') =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });

describe('gantry serve', () => {
  const root = join(base, 'runs');
  const run = join(root, 'a');
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'config.json'), JSON.stringify({ method: 'nsgan', dataset: { name: 'ring' }, seed: 1, steps: 10 }));
  writeFileSync(join(run, 'metrics.jsonl'), '{"step":1,"losses":{"d":1}}\n{"step":2,"losses":{"d":0.9}}\n{"step":3,"loss');
  writeFileSync(join(base, 'secret.txt'), 'not yours');
  symlinkSync(base, join(run, 'out'));
  let url = '';
  const started = serve({ root }).then((s) => {
    url = s.url;
    return s.server;
  });
  afterAll(async () => (await started).close());

  it('binds 127.0.0.1, lists the runs, and skips a half-written metrics line (counted, not fatal)', async () => {
    await started;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(JSON.parse((await get(url, '/api/runs')).body)).toEqual([{ path: 'a', method: 'nsgan', dataset: 'ring', seed: 1, steps: 10, finished: false }]);
    const m = JSON.parse((await get(url, '/api/metrics/a')).body);
    expect(m.lines.map((l: { step: number }) => l.step)).toEqual([1, 2]);
    expect(m.skipped).toBe(1);
    expect((await get(url, '/')).body).toContain('<title>gantry');
    expect((await get(url, '/vendor/uPlot.iife.min.js')).status).toBe(200);
  });
  it('refuses paths that leave the root: .., encoded dots, absolute paths, symbolic links out; and every write', async () => {
    await started;
    expect((await get(url, '/runs/a/config.json')).status).toBe(200);
    for (const p of ['/runs/../secret.txt', '/runs/%2e%2e/secret.txt', '/runs/a/%2e%2e%2f%2e%2e%2fsecret.txt', '/runs/%2fetc%2fpasswd', '/runs//etc/passwd', '/runs/a/out/secret.txt', '/api/metrics/..%2f..', '/page/..%2f..%2fpackage.json', '/vendor/..%2fpackage.json']) {
      const r = await get(url, p);
      expect([403, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain('not yours');
    }
    for (const m of ['POST', 'PUT', 'DELETE']) expect((await get(url, '/api/runs', m)).status).toBe(405);
  });
});

const chromium = '/usr/bin/chromium';
/** Debian's chromium, headless, as it runs here as root on a closed network (the env entry's machines/node.md). */
const launch = async () => {
  const { chromium: browserType } = await import('playwright-core');
  return browserType.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
};
/** `gantry train …` in a child process (one thread), resolving with its exit code and stderr. */
const train = (...args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [cli, 'train', '--quiet', ...args], { env: { ...process.env, GANTRY_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr += d));
    p.on('exit', (status) => resolve({ status, stderr }));
  });
describe('the live view in a browser', () => {
  let trainer: ChildProcess | undefined;
  afterAll(() => trainer?.kill('SIGKILL'));
  it.skipIf(!existsSync(chromium))("while a ring run trains: the step advances, the 2D canvas changes, 8 rows in the mode strip, curves grow; the server ends when the trainer is killed (skipped where Debian's chromium is not installed; scripts/setup.sh installs it)", async () => {
    const { chromium: browserType } = await import('playwright-core');
    const out = join(base, 'live', 'ring');
    trainer = spawn(process.execPath, [cli, 'train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '20000', '--view-every', '50', '--log-every', '50', '--eval-every', '1000', '--quiet', '--dashboard', '--out', out], { env: { ...process.env, GANTRY_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      trainer!.stderr!.on('data', (d) => {
        stderr += d;
        const m = /live view at (http:\/\/127\.0\.0\.1:\d+\/\?run=\S+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      trainer!.on('exit', () => reject(new Error(`train exited: ${stderr}`)));
    });
    const browser = await browserType.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      const step = async () => Number(/step (\d+)/.exec((await page.textContent('#step-label')) ?? '')?.[1] ?? -1);
      await page.waitForFunction(() => /step \d+/.test(document.getElementById('step-label')?.textContent ?? ''));
      const canvas = () => page.evaluate(() => (document.getElementById('plane') as HTMLCanvasElement).toDataURL());
      const points = () => page.evaluate(() => Number(document.querySelector('.chart[data-title="losses"]')?.getAttribute('data-points') ?? 0));
      const [s1, c1, p1] = [await step(), await canvas(), await points()];
      await page.screenshot({ path: join(base, 'live-1.png') });
      await page.waitForFunction((s) => Number(/step (\d+)/.exec(document.getElementById('step-label')?.textContent ?? '')?.[1] ?? -1) >= s + 500, s1, { timeout: 60_000 });
      const [s2, c2, p2] = [await step(), await canvas(), await points()];
      await page.screenshot({ path: join(base, 'live-2.png') });
      expect(s2).toBeGreaterThan(s1);
      expect(c2).not.toBe(c1);
      expect(p2).toBeGreaterThan(p1);
      expect(await page.getAttribute('#strip', 'data-modes')).toBe('8');
    } finally {
      await browser.close();
    }
    // The dashboard's server ends with its trainer, however the trainer ends.
    const exited = new Promise((resolve) => trainer!.once('exit', resolve));
    trainer.kill('SIGKILL');
    await exited;
    const origin = new URL(url).origin + '/';
    let up = true;
    for (let i = 0; i < 50 && up; i++) {
      up = await get(origin, '/api/runs').then(() => true, () => false);
      if (up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up).toBe(false);
  }, 120_000);
});

describe('report.html', () => {
  it.skipIf(!existsSync(chromium))("opens from disk with every network request blocked: curves, the 2D view and the mode strip render, no request leaves the file (skipped where Debian's chromium is not installed; scripts/setup.sh installs it)", async () => {
    const out = join(base, 'report', 'ring');
    const r = spawnSync(process.execPath, [cli, 'train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '400', '--view-every', '50', '--log-every', '20', '--eval-every', '100', '--quiet', '--out', out], { encoding: 'utf8', env: { ...process.env, GANTRY_THREADS: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const size = statSync(join(out, 'report.html')).size;
    expect(size).toBeLessThan(5 * 2 ** 20);
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      await page.route('**/*', (route) => {
        const u = route.request().url();
        if (u.startsWith('file://') || u.startsWith('data:')) return route.continue();
        requests.push(u);
        return route.abort();
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${join(out, 'report.html')}`);
      await page.waitForSelector('.chart[data-title="losses"] canvas');
      await page.waitForFunction(() => /step \d+/.test(document.getElementById('step-label')?.textContent ?? ''));
      expect(await page.textContent('#step-label')).toBe('step 400');
      expect(await page.getAttribute('#strip', 'data-modes')).toBe('8');
      expect(Number(await page.getAttribute('.chart[data-title="losses"]', 'data-points'))).toBeGreaterThan(10);
      expect(await page.textContent('#head')).toContain('"libtorch"');
      await page.screenshot({ path: join(base, 'report.png'), fullPage: true });
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('compare runs', () => {
  it.skipIf(!existsSync(chromium))("two seeds of one configuration, ticked, give a mean curve with a ± std band (skipped where Debian's chromium is not installed; scripts/setup.sh installs it)", async () => {
    const root = join(base, 'compare');
    for (const seed of ['1', '2']) {
      const r = spawnSync(process.execPath, [cli, 'train', '--method', 'nsgan', '--dataset', 'ring', '--steps', '200', '--seed', seed, '--log-every', '20', '--quiet', '--out', join(root, `seed-${seed}`)], { encoding: 'utf8', env: { ...process.env, GANTRY_THREADS: '1' } });
      expect(r.status, r.stderr).toBe(0);
    }
    const { server, url } = await serve({ root });
    const browser = await launch();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('#runs li');
      for (const box of await page.$$('#runs input[type=checkbox]')) await box.check();
      await page.check('#bands');
      await page.waitForFunction(() => (document.querySelector('.chart[data-title="losses"] .u-legend')?.textContent ?? '').includes('mean of 2'));
      const legend = await page.textContent('.chart[data-title="losses"] .u-legend');
      expect(legend).toContain('nsgan on ring: d (mean of 2)');
      expect(legend).toContain('nsgan on ring: d + std');
      await page.screenshot({ path: join(base, 'compare.png'), fullPage: true });
    } finally {
      await browser.close();
      server.close();
    }
  }, 120_000);
});


describe('collapse alarms on the page', () => {
  it.skipIf(!existsSync(chromium))("the minimax GAN on the 1200-D mixture shows a coverage alarm, WGAN-GP (λ 10, lr 1e-3) shows none (skipped where Debian's chromium is not installed; scripts/setup.sh installs it)", async () => {
    const root = join(base, 'alarms');
    // Seed 1 of WGAN-GP finds 4, 6, 7, 8 of the 10 modes at steps 100–400; the minimax GAN none.
    const common = ['--dataset', 'highdim', '--steps', '400', '--eval-every', '100', '--seed', '1'];
    const [gan, wgan] = await Promise.all([train('--method', 'gan', ...common, '--out', join(root, 'gan')), train('--method', 'wgan-gp', '--opt', 'lambda=10', '--lr', '0.001', ...common, '--out', join(root, 'wgan-gp'))]);
    expect(gan.status, gan.stderr).toBe(0);
    expect(wgan.status, wgan.stderr).toBe(0);
    const { server, url } = await serve({ root });
    const browser = await launch();
    try {
      const page = await browser.newPage();
      await page.goto(`${url}?run=gan`);
      await page.waitForSelector('#head .alarm');
      expect(await page.textContent('#head .alarm')).toMatch(/step 300: coverage-low/);
      await page.screenshot({ path: join(base, 'alarm-gan.png'), fullPage: true });
      await page.goto(`${url}?run=wgan-gp`);
      await page.waitForFunction(() => /wgan-gp on highdim/.test(document.querySelector('#head h2')?.textContent ?? ''));
      await page.waitForSelector('.chart[data-title="modes"]');
      expect(await page.$('#head .alarm')).toBeNull();
    } finally {
      await browser.close();
      server.close();
    }
  }, 180_000);
});

describe('an image run', () => {
  it.skipIf(!existsSync(chromium))("report.html of an MNIST run: the coverage strip has 10 rows, the gallery shows a chosen mode's samples or says it is missing, log scale toggles (skipped where Debian's chromium is not installed; scripts/setup.sh installs it)", async () => {
    const out = join(base, 'images', 'mnist');
    const r = await train('--method', 'nsgan', '--dataset', 'mnist', '--preset', 'quick', '--steps', '400', '--eval-every', '100', '--eval-samples', '1000', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const browser = await launch();
    try {
      const page = await browser.newPage();
      await page.route('**/*', (route) => (/^(file|data):/.test(route.request().url()) ? route.continue() : route.abort()));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${join(out, 'report.html')}`);
      await page.waitForSelector('#img-strip[data-modes="10"]');
      // Every listed mode's row, then one mode: the one the gallery lists first, then one it may lack.
      await page.waitForFunction(() => Number(document.getElementById('gallery')?.dataset.rows ?? 0) >= 1);
      const rows = Number(await page.getAttribute('#gallery', 'data-rows'));
      expect(rows).toBeGreaterThanOrEqual(1);
      expect(await page.textContent('#gallery-caption')).toMatch(/Step 400: 256 fixed codes' samples by the mode/);
      const listed = await page.evaluate(() => (window as unknown as { GANTRY_REPORT: { data: Record<string, { evals: { gallery: { modes: number[] } }[] }> } }).GANTRY_REPORT.data['api/views/mnist'].evals.at(-1)!.gallery.modes);
      await page.fill('#mode-pick', String(listed[0]));
      await page.dispatchEvent('#mode-pick', 'change');
      await page.waitForFunction(() => document.getElementById('gallery')?.dataset.rows === '1');
      expect(await page.textContent('#gallery-caption')).toMatch(new RegExp(`mode ${listed[0]}, \\d+ of the 256 fixed codes`));
      const absent = [...Array(10).keys()].find((k) => !listed.includes(k));
      if (absent !== undefined) {
        await page.fill('#mode-pick', String(absent));
        await page.dispatchEvent('#mode-pick', 'change');
        await page.waitForFunction(() => document.getElementById('gallery')?.dataset.rows === '0');
        expect(await page.textContent('#gallery-caption')).toMatch(new RegExp(`mode ${absent} — none of the 256 fixed codes`));
      }
      await page.screenshot({ path: join(base, 'mnist-report.png'), fullPage: true });
      // Gradient norms start on a log axis; the toggle puts them on a linear one.
      expect(await page.getAttribute('.chart[data-title="gradient norms"]', 'data-log')).toBe('true');
      await page.click('input[data-log="gradient norms"]');
      await page.waitForFunction(() => document.querySelector('.chart[data-title="gradient norms"]')?.getAttribute('data-log') === 'false');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
