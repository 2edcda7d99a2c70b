// The live view of gantry's run folders. It reads what `gantry serve` passes through from the run
// folders (metrics.jsonl, view/ snapshots, sample grids) and redraws when the server says a run
// changed. Curves are uPlot; the 2D layers and the mode-coverage strip are canvas.
const $ = (id) => document.getElementById(id);
const enc = (path) => path.split('/').map(encodeURIComponent).join('/');
// report.html carries its data inlined (src/report/html.ts); served, the page asks the server.
const REPORT = window.GANTRY_REPORT ?? null;
const json = async (url) => {
  if (REPORT) {
    if (!(url in REPORT.data)) throw new Error(`${url}: not in this report`);
    return REPORT.data[url];
  }
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
};
const imageUrl = (url) => (REPORT ? REPORT.data[url] ?? '' : url);

const state = { runs: [], current: null, compare: new Set(), metrics: null, views: null, data: null, snaps: new Map(), playing: null, highlight: null, config: null, mode: null, log: new Map() };

// ---- runs ------------------------------------------------------------------------------------
async function loadRuns() {
  state.runs = await json('api/runs');
  const ul = $('runs');
  ul.replaceChildren(
    ...state.runs.map((r) => {
      const li = document.createElement('li');
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: state.compare.has(r.path), title: 'compare' });
      box.onchange = () => {
        box.checked ? state.compare.add(r.path) : state.compare.delete(r.path);
        drawCurves();
      };
      const a = Object.assign(document.createElement('a'), { textContent: `${r.path} — ${r.method}, ${r.dataset}, seed ${r.seed}` });
      a.dataset.path = r.path;
      if (r.path === state.current) a.classList.add('current');
      a.onclick = () => openRun(r.path);
      li.append(box, a);
      if (!r.finished) li.append(Object.assign(document.createElement('span'), { className: 'live', textContent: 'training' }));
      return li;
    }),
  );
}

async function openRun(path) {
  state.current = path;
  state.snaps.clear();
  state.highlight = null;
  state.mode = null;
  $('mode-pick').value = '';
  state.config = await json(`runs/${enc(path)}/config.json`);
  try {
    state.data = await json(`runs/${enc(path)}/view/data.json`);
  } catch {
    state.data = null;
  }
  await refresh(true);
  await loadRuns();
}

/** Metrics and the view index again (live updates); keeps the slider at the end if it was there. */
async function refresh(first = false) {
  const path = state.current;
  if (!path) return;
  const [metrics, views] = await Promise.all([json(`api/metrics/${enc(path)}`), json(`api/views/${enc(path)}`)]);
  if (path !== state.current) return;
  const slider = $('slider');
  const atEnd = first || Number(slider.value) >= Number(slider.max);
  state.metrics = metrics;
  state.views = views;
  if (!state.data) {
    try {
      state.data = await json(`runs/${enc(path)}/view/data.json`);
    } catch {
      state.data = null;
    }
  }
  const c = state.config;
  const last = metrics.lines.at(-1);
  $('head').innerHTML = '';
  const h = document.createElement('h2');
  h.textContent = `${c.method} on ${c.dataset?.name ?? c.dataset?.data ?? '?'}, seed ${c.seed}`;
  const p = document.createElement('p');
  p.id = 'progress';
  p.textContent = `step ${last?.step ?? 0} of ${c.steps}` + (metrics.skipped ? ` (${metrics.skipped} unreadable metrics line(s) skipped)` : '');
  $('head').append(h, p);
  const cfg = document.createElement('details');
  cfg.innerHTML = '<summary>configuration and environment</summary>';
  const pre = document.createElement('pre');
  pre.textContent = JSON.stringify({ config: c, ...(REPORT ? { environment: REPORT.environment } : {}) }, null, 2);
  cfg.append(pre);
  $('head').append(cfg);
  if (metrics.alarms?.length) {
    const al = document.createElement('p');
    al.className = 'alarm';
    al.textContent = metrics.alarms.map((a) => `step ${a.step}: ${a.rule}`).join('; ');
    $('head').append(al);
  }
  $('view').hidden = !state.data;
  $('images').hidden = !views.grids.length;
  if (state.data) {
    slider.max = String(Math.max(0, views.steps.length - 1));
    if (atEnd) slider.value = slider.max;
    await drawView();
    drawStrip();
  }
  if (views.grids.length) {
    const s = $('img-slider');
    const end = first || Number(s.value) >= Number(s.max);
    s.max = String(views.grids.length - 1);
    if (end) s.value = s.max;
    drawGrid();
  }
  drawCurves();
}

// ---- the 2D plane ----------------------------------------------------------------------------
const VIRIDIS = [[68, 1, 84], [65, 68, 135], [42, 120, 142], [34, 168, 132], [122, 209, 81], [253, 231, 37]];
function viridis(t) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((v, k) => Math.round(v * (1 - f) + VIRIDIS[i + 1][k] * f));
}
const layerOn = (name) => document.querySelector(`[data-layer="${name}"]`).checked;

async function snapshot(step) {
  if (!state.snaps.has(step)) state.snaps.set(step, await json(`runs/${enc(state.current)}/view/step-${String(step).padStart(7, '0')}.json`));
  return state.snaps.get(step);
}

async function drawView() {
  const steps = state.views.steps;
  if (!steps.length || !state.data) return;
  const step = steps[Number($('slider').value)] ?? steps.at(-1);
  const snap = await snapshot(step);
  $('step-label').textContent = `step ${step}`;
  const cv = $('plane');
  const g = cv.getContext('2d');
  const [x0, x1, y0, y1] = state.data.range;
  const W = cv.width;
  const X = (x) => ((x - x0) / (x1 - x0)) * W;
  const Y = (y) => ((y1 - y) / (y1 - y0)) * W;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, W);
  if (snap.heat && layerOn('heat')) {
    const { size, values } = snap.heat;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const img = g.createImageData(size, size);
    values.forEach((v, i) => img.data.set([...viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5), 255], i * 4));
    const tmp = Object.assign(document.createElement('canvas'), { width: size, height: size });
    tmp.getContext('2d').putImageData(img, 0, 0);
    g.imageSmoothingEnabled = true;
    g.drawImage(tmp, 0, 0, W, W);
  }
  const dots = (pts, color, r) => {
    g.fillStyle = color;
    for (const [x, y] of pts) g.fillRect(X(x) - r, Y(y) - r, 2 * r, 2 * r);
  };
  if (layerOn('data')) dots(state.data.data, 'rgba(90,90,90,0.55)', 1.2);
  if (snap.manifold && layerOn('manifold')) {
    g.strokeStyle = 'rgba(255,255,255,0.8)';
    g.lineWidth = 1;
    const rows = snap.manifold;
    const line = (pts) => {
      g.beginPath();
      pts.forEach(([x, y], i) => (i ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y))));
      g.stroke();
    };
    rows.forEach(line);
    rows[0].forEach((_, j) => line(rows.map((r) => r[j])));
  }
  const hl = state.highlight;
  const samples = hl === null || !state.data.means ? snap.samples : snap.samples.filter((p) => nearest(p) === hl);
  if (layerOn('samples')) dots(samples, 'rgba(230,40,40,0.85)', 1.6);
  if (snap.arrows && layerOn('arrows')) {
    const longest = Math.max(1e-12, ...snap.arrows.map(([, , dx, dy]) => Math.hypot(dx, dy)));
    g.strokeStyle = '#111';
    for (const [x, y, dx, dy] of snap.arrows) {
      const k = (0.06 * (x1 - x0)) / longest;
      g.beginPath();
      g.moveTo(X(x), Y(y));
      g.lineTo(X(x + k * dx), Y(y + k * dy));
      g.stroke();
    }
  }
  if (state.data.means) {
    g.strokeStyle = '#fff';
    for (const [i, [x, y]] of state.data.means.entries()) {
      g.lineWidth = i === hl ? 3 : 1.5;
      g.strokeRect(X(x) - 4, Y(y) - 4, 8, 8);
    }
    g.lineWidth = 1;
  }
  const covered = snap.modeShares ? snap.modeShares.filter((s) => s > 0).length : null;
  $('plane-caption').textContent =
    `${state.data.projection === 'pca' ? `The first two principal axes of the ${state.data.dim}-D data. ` : ''}` +
    `Step ${step}: ${snap.samples.length} samples from fixed codes` +
    (covered !== null ? `, ${covered} of ${snap.modeShares.length} modes with high-quality samples` : '') +
    (hl !== null ? `; showing mode ${hl}'s samples (click the strip again to show all)` : '');
}

function nearest([x, y]) {
  let best = 0;
  let d = Infinity;
  state.data.means.forEach(([mx, my], i) => {
    const e = (mx - x) ** 2 + (my - y) ** 2;
    if (e < d) (d = e), (best = i);
  });
  return best;
}

// ---- the mode-coverage strip -------------------------------------------------------------------
/** Modes × columns on `cv`: colour = share (pale red where none), the current column outlined; `pick(k)` on a click. */
function paintStrip(cv, shares, current, pick) {
  const g = cv.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, cv.width, cv.height);
  if (!shares.length) return;
  const K = shares[0].length;
  cv.dataset.modes = String(K);
  const cw = cv.width / shares.length;
  const rh = cv.height / K;
  let max = 1e-9;
  for (const col of shares) for (const v of col) max = Math.max(max, v);
  shares.forEach((col, j) =>
    col.forEach((v, k) => {
      g.fillStyle = v > 0 ? `rgb(${viridis(0.15 + (0.85 * v) / max).join(',')})` : '#f3d0d0';
      g.fillRect(j * cw, k * rh, Math.ceil(cw), Math.max(1, Math.ceil(rh)));
    }),
  );
  g.strokeStyle = '#000';
  g.strokeRect(current * cw, 0, Math.max(1, cw), cv.height);
  cv.onclick = (e) => pick(Math.min(K - 1, Math.floor((e.offsetY / cv.clientHeight) * K)));
}

function drawStrip() {
  paintStrip($('strip'), state.views.shares.filter(Boolean), Number($('slider').value), (k) => {
    state.highlight = state.highlight === k ? null : k;
    drawView();
  });
}

// ---- image grids, the image coverage strip and the mode gallery ----------------------------------
function drawGrid() {
  const steps = state.views.grids;
  const at = Number($('img-slider').value);
  const step = steps[at];
  $('img-label').textContent = `evaluation at step ${step}`;
  $('grid').src = imageUrl(`runs/${enc(state.current)}/samples-step${String(step).padStart(7, '0')}.png`);
  const lensed = state.views.lensed?.includes(step);
  $('lensed-fig').hidden = !lensed;
  if (lensed) $('lensed').src = imageUrl(`runs/${enc(state.current)}/lensed-step${String(step).padStart(7, '0')}.png`);
  $('hist-fig').hidden = !state.views.histogram;
  if (state.views.histogram) $('hist').src = imageUrl(`runs/${enc(state.current)}/modes-histogram.png`);
  const evals = state.views.evals ?? [];
  $('img-strip-fig').hidden = $('gallery-fig').hidden = !evals.length;
  if (!evals.length) return;
  // The strip's column of this evaluation: the last evaluation view at or before the grid's step.
  let col = 0;
  evals.forEach((e, i) => e.step <= step && (col = i));
  paintStrip($('img-strip'), evals.map((e) => e.modeShares), col, (k) => pickMode(state.mode === k ? null : k));
  drawGallery(evals[col]);
}

function pickMode(k) {
  state.mode = k;
  $('mode-pick').value = k === null ? '' : String(k);
  drawGrid();
}

const galleries = new Map();
/** The gallery image of an evaluation (cached). */
function galleryImage(step) {
  const url = imageUrl(`runs/${enc(state.current)}/view/gallery-${String(step).padStart(7, '0')}.png`);
  if (!url) return Promise.reject(new Error('not in this report'));
  if (!galleries.has(url)) {
    const img = new Image();
    galleries.set(url, new Promise((ok, fail) => ((img.onload = () => ok(img)), (img.onerror = fail), (img.src = url))));
  }
  return galleries.get(url);
}

/** The fixed codes' samples grouped by mode: every listed mode's row, or the chosen mode's alone. */
async function drawGallery(ev) {
  const { modes, counts, codes, perMode, tile, pad } = ev.gallery;
  const cv = $('gallery');
  const g = cv.getContext('2d');
  const k = state.mode;
  const rows = k === null ? modes.map((m, i) => [m, i]) : modes.includes(k) ? [[k, modes.indexOf(k)]] : [];
  const rowH = tile[0] + pad;
  const label = 140;
  const width = label + perMode * (tile[1] + pad) + pad;
  cv.width = width;
  cv.height = Math.max(24, rows.length * rowH + pad);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, cv.width, cv.height);
  const share = (m) => ev.modeShares[m] ?? 0;
  $('gallery-caption').textContent =
    k === null
      ? `Step ${ev.step}: ${codes} fixed codes' samples by the mode the classifier reads in them; the ${modes.length} most frequent modes, at most ${perMode} samples each.`
      : rows.length
        ? `Step ${ev.step}: mode ${k}, ${counts[rows[0][1]]} of the ${codes} fixed codes; ${(100 * share(k)).toFixed(2)} % of the evaluation's samples.`
        : `Step ${ev.step}: mode ${k} — none of the ${codes} fixed codes' samples${share(k) > 0 ? ` (${(100 * share(k)).toFixed(2)} % of the evaluation's samples)` : ', and none of the evaluation\'s: a dropped mode'}.`;
  cv.dataset.rows = String(rows.length);
  if (!rows.length) return;
  let img;
  try {
    img = await galleryImage(ev.step);
  } catch {
    // report.html keeps the galleries of some evaluations only (the last always).
    $('gallery-caption').textContent += ' (This evaluation\'s gallery is not in this report: move the slider to a kept one, the last for instance.)';
    return;
  }
  g.fillStyle = '#222';
  g.font = '12px system-ui, sans-serif';
  rows.forEach(([m, i], r) => {
    g.drawImage(img, 0, i * rowH, img.width, rowH + pad, label, r * rowH, img.width, rowH + pad);
    g.fillText(`mode ${m} · ${counts[i]}/${codes}`, 4, r * rowH + rowH / 2 + 4);
  });
}

// ---- curves -----------------------------------------------------------------------------------
/** A moving average over the last `w` steps (by step, not by point count), as TensorBoard's smoothing is not. */
function smooth(xs, ys, w) {
  if (!w) return ys;
  const out = [];
  let lo = 0;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] != null) (sum += ys[i]), n++;
    while (xs[lo] <= xs[i] - w) {
      if (ys[lo] != null) (sum -= ys[lo]), n--;
      lo++;
    }
    out.push(ys[i] == null ? null : sum / Math.max(1, n));
  }
  return out;
}

// Compared runs' metrics, fetched once and again only when the server says that run changed.
const metricsOf = new Map();
const otherMetrics = (path) => {
  if (!metricsOf.has(path)) metricsOf.set(path, json(`api/metrics/${enc(path)}`).catch((e) => (metricsOf.delete(path), Promise.reject(e))));
  return metricsOf.get(path);
};

const charts = [];
async function drawCurves() {
  for (const c of charts.splice(0)) c.destroy();
  const host = $('charts');
  host.replaceChildren();
  const paths = state.compare.size ? [...state.compare] : state.current ? [state.current] : [];
  if (!paths.length) return;
  const runs = await Promise.all(paths.map(async (p) => ({ path: p, m: p === state.current ? state.metrics : await otherMetrics(p) })));
  const w = Number($('smooth').value) || 0;
  const groups = [
    { title: 'losses', keys: (k) => !k.startsWith('grad_norm_') && k !== 'lambda' && k !== 'lens_rec', from: 'losses' },
    { title: 'gradient norms', keys: (k) => k.startsWith('grad_norm_'), from: 'losses', log: true },
    { title: 'modes', keys: (k) => k === 'modes' || k === 'modes_confident', from: 'eval' },
    { title: 'high quality', keys: (k) => k === 'high_quality', from: 'eval' },
    { title: 'reverse KL / KL', keys: (k) => k === 'reverse_kl' || k === 'kl', from: 'eval' },
    { title: 'label entropy (nats)', keys: (k) => k === 'label_entropy', from: 'eval' },
    { title: 'feature spread (of real images)', keys: (k) => k === 'feature_spread', from: 'eval' },
  ];
  for (const grp of groups) {
    const series = [];
    for (const { path, m } of runs) {
      const lines = m.lines.filter((l) => typeof l.step === 'number');
      const src = grp.from === 'losses' ? lines.map((l) => [l.step, l.losses ?? {}]) : lines.filter((l) => 'modes' in l || 'kl' in l).map((l) => [l.step, l]);
      const keys = [...new Set(src.flatMap(([, o]) => Object.keys(o).filter((k) => grp.keys(k) && typeof o[k] === 'number')))];
      for (const k of keys) series.push({ label: paths.length > 1 ? `${path}: ${k}` : k, pts: src.filter(([, o]) => Number.isFinite(o[k])).map(([s, o]) => [s, o[k]]) });
    }
    if (!series.length) continue;
    const xs = [...new Set(series.flatMap((s) => s.pts.map((p) => p[0])))].sort((a, b) => a - b);
    let lines = series.map((s) => {
      const at = new Map(s.pts);
      return { label: s.label, ys: smooth(xs, xs.map((x) => (at.has(x) ? at.get(x) : null)), w) };
    });
    const bands = [];
    if ($('bands').checked && runs.length > 1) {
      // Runs of one configuration (method and dataset; seeds differ): the mean, and a band of ± one std.
      const config = (path) => {
        const r = state.runs.find((x) => x.path === path);
        return r ? `${r.method} on ${r.dataset}` : path;
      };
      const grouped = new Map();
      lines.forEach((l, i) => {
        const [path, key] = series[i].label.includes(': ') ? series[i].label.split(': ') : [paths[0], series[i].label];
        const g = `${config(path)}: ${key}`;
        grouped.set(g, [...(grouped.get(g) ?? []), l.ys]);
      });
      lines = [];
      for (const [label, members] of grouped) {
        const stat = xs.map((_, j) => {
          const v = members.map((m) => m[j]).filter((y) => y != null);
          if (!v.length) return [null, null, null];
          const mean = v.reduce((a, b) => a + b, 0) / v.length;
          const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
          return [mean, mean + sd, mean - sd];
        });
        const base = lines.length + 1;
        lines.push({ label: `${label} (mean of ${members.length})`, ys: stat.map((s) => s[0]) });
        lines.push({ label: `${label} + std`, ys: stat.map((s) => s[1]), band: true });
        lines.push({ label: `${label} − std`, ys: stat.map((s) => s[2]), band: true });
        bands.push({ series: [base + 1, base + 2] });
      }
    }
    const data = [xs, ...lines.map((l) => l.ys)];
    const alarms = runs.flatMap(({ m }) => m.alarms ?? []);
    // A log y axis where every value is positive (uPlot's log scale cannot show 0 or below).
    const positive = lines.every((l) => l.ys.every((y) => y == null || y > 0));
    const log = positive && (state.log.get(grp.title) ?? grp.log ?? false);
    const box = document.createElement('div');
    box.className = 'chart-box';
    const toggle = Object.assign(document.createElement('input'), { type: 'checkbox', checked: log, disabled: !positive });
    toggle.dataset.log = grp.title;
    toggle.onchange = () => (state.log.set(grp.title, toggle.checked), drawCurves());
    const label = document.createElement('label');
    label.title = positive ? '' : 'some values are 0 or below';
    label.append(toggle, ' log scale');
    const div = document.createElement('div');
    div.className = 'chart';
    div.dataset.title = grp.title;
    div.dataset.log = String(log);
    div.dataset.points = String(series.reduce((a, s) => a + s.pts.length, 0));
    box.append(label, div);
    host.append(box);
    const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
    charts.push(
      new uPlot(
        {
          title: grp.title + (w ? ` (moving average over ${w} steps)` : ''),
          width: 440,
          height: 220,
          scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
          // Mode counts are whole numbers: ticks 1, 2, 5, 10 … apart, never 2.5.
          axes: [{ label: 'generator steps' }, grp.title === 'modes' ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] } : {}],
          // Dots where there are few points (a short run's evaluations), lines alone otherwise.
          series: [{ label: 'step' }, ...lines.map((s, i) => (s.band ? { label: s.label, stroke: 'transparent', spanGaps: true, points: { show: false } } : { label: s.label, stroke: colours[Math.floor(i / (bands.length ? 3 : 1)) % colours.length], spanGaps: true, points: { show: xs.length <= 30 } }))],
          bands: bands.map((b, i) => ({ ...b, fill: `${colours[i % colours.length]}33` })),
          hooks: {
            draw: [
              (u) => {
                const ctx = u.ctx;
                ctx.save();
                ctx.strokeStyle = 'rgba(200,0,0,0.6)';
                for (const a of alarms) {
                  const x = u.valToPos(a.step, 'x', true);
                  ctx.beginPath();
                  ctx.moveTo(x, u.bbox.top);
                  ctx.lineTo(x, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                }
                ctx.restore();
              },
            ],
          },
        },
        data,
        div,
      ),
    );
  }
}

// ---- wiring -----------------------------------------------------------------------------------
$('slider').oninput = () => (drawView(), drawStrip());
$('img-slider').oninput = drawGrid;
$('mode-pick').onchange = () => {
  const v = $('mode-pick').value.trim();
  pickMode(v === '' ? null : Math.max(0, Math.floor(Number(v))));
};
$('mode-all').onclick = () => pickMode(null);
$('smooth').onchange = drawCurves;
$('bands').onchange = drawCurves;
for (const box of document.querySelectorAll('[data-layer]')) box.onchange = drawView;
$('play').onclick = () => {
  if (state.playing) {
    clearInterval(state.playing);
    state.playing = null;
    $('play').textContent = '▶ play';
    return;
  }
  $('play').textContent = '❚❚ pause';
  state.playing = setInterval(() => {
    const s = $('slider');
    s.value = String(Number(s.value) >= Number(s.max) ? 0 : Number(s.value) + 1);
    drawView();
    drawStrip();
  }, 120);
};

const events = REPORT ? null : new EventSource('api/events');
let pending = false;
events?.addEventListener('run', async (e) => {
  const { path } = JSON.parse(e.data);
  metricsOf.delete(path);
  if (!state.runs.some((r) => r.path === path)) await loadRuns();
  if (path !== state.current && state.compare.has(path)) drawCurves();
  if (path !== state.current || pending) return;
  pending = true;
  try {
    await refresh();
  } finally {
    pending = false;
  }
});

await loadRuns();
const wanted = new URLSearchParams(location.search).get('run') ?? (state.runs.length === 1 ? state.runs[0].path : null);
if (wanted) await openRun(wanted);
