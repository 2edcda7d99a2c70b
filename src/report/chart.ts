// Line charts (metric against training iterations, one line per method) as SVG rendered by resvg.
import { writeFileAtomic } from '../torch/index.js';
import { Resvg } from '@resvg/resvg-js';

export interface Series {
  label: string;
  points: [number, number][];
  /** ± this much around each point's y, drawn as an error bar (same order as points). */
  spread?: number[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tick = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toPrecision(3)}`);

/** Several charts side by side, each with its own y axis; x is shared in meaning (iterations). */
export interface Chart {
  title: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic axes (base 10); points at or below 0 are left out. */
  logX?: boolean;
  logY?: boolean;
}

export function renderCharts(charts: Chart[], xLabel: string): Buffer {
  const [w, h, left, top, bottom, legendW] = [360, 240, 56, 30, 40, 150];
  const width = charts.length * (w + left) + legendW;
  const height = h + top + bottom;
  const parts = [`<rect width="100%" height="100%" fill="white"/>`];
  charts.forEach((c, ci) => {
    const ox = ci * (w + left) + left;
    const [fx, fy] = [c.logX ? Math.log10 : (v: number) => v, c.logY ? Math.log10 : (v: number) => v];
    const ok = ([x, y]: [number, number]) => (!c.logX || x > 0) && (!c.logY || y > 0);
    const all = c.series.flatMap((s) => s.points.filter(ok).map(([x, y]) => [fx(x), fy(y)] as const));
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const [x0, x1] = c.logX ? [Math.floor(Math.min(...xs)), Math.ceil(Math.max(...xs, Math.min(...xs) + 1))] : [Math.min(0, ...xs), Math.max(1, ...xs)];
    const [y0, y1] = c.logY ? [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys, Math.min(...ys) + 1))] : [Math.min(0, ...ys), Math.max(1e-9, ...ys) * 1.05];
    const X = (x: number) => ox + ((fx(x) - x0) / (x1 - x0)) * w;
    const Y = (y: number) => top + h - ((fy(y) - y0) / (y1 - y0)) * h;
    const label = (v: number, log?: boolean) => (log ? tick(10 ** v) : tick(v));
    parts.push(`<text x="${ox + w / 2}" y="18" font-size="13" font-family="DejaVu Sans" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`);
    parts.push(`<rect x="${ox}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (let i = 0; i <= 4; i++) {
      const yv = y0 + ((y1 - y0) * i) / 4;
      const xv = x0 + ((x1 - x0) * i) / 4;
      const [yPix, xPix] = [top + h - (h * i) / 4, ox + (w * i) / 4];
      parts.push(`<text x="${ox - 4}" y="${yPix + 4}" font-size="10" font-family="DejaVu Sans" text-anchor="end">${label(yv, c.logY)}</text>`);
      parts.push(`<text x="${xPix}" y="${top + h + 14}" font-size="10" font-family="DejaVu Sans" text-anchor="middle">${label(xv, c.logX)}</text>`);
    }
    parts.push(`<text x="${ox + w / 2}" y="${top + h + 32}" font-size="11" font-family="DejaVu Sans" text-anchor="middle">${esc(xLabel)}</text>`);
    parts.push(`<text x="${ox - 44}" y="${top + h / 2}" font-size="11" font-family="DejaVu Sans" text-anchor="middle" transform="rotate(-90 ${ox - 44} ${top + h / 2})">${esc(c.yLabel)}</text>`);
    c.series.forEach((s, si) => {
      const color = COLORS[si % COLORS.length];
      s.points.forEach(([x, y], i) => {
        const e = s.spread?.[i];
        if (!e || !ok([x, y])) return;
        const lo = c.logY ? Math.max(y - e, 10 ** y0) : y - e;
        parts.push(`<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${Y(lo).toFixed(1)}" y2="${Y(y + e).toFixed(1)}" stroke="${color}" stroke-opacity="0.5"/>`);
      });
      const pts = s.points.filter(ok).sort((a, b) => a[0] - b[0]).map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color}"/>`);
    });
  });
  const series = charts[0]?.series ?? [];
  series.forEach((s, si) => {
    const y = top + 10 + si * 16;
    const x = charts.length * (w + left) + 10;
    parts.push(`<rect x="${x}" y="${y - 8}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/>`);
    parts.push(`<text x="${x + 14}" y="${y + 1}" font-size="11" font-family="DejaVu Sans">${esc(s.label)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

export function writeCharts(path: string, charts: Chart[], xLabel: string): void {
  writeFileAtomic(path, renderCharts(charts, xLabel));
}

/** Counts of values per bin [edges[i], edges[i+1]); the last bin includes its right edge, values outside are left out. */
export function histogram(values: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    for (let i = 0; i < counts.length; i++) {
      if (v >= edges[i] && (v < edges[i + 1] || (i === counts.length - 1 && v === edges[i + 1]))) {
        counts[i]++;
        break;
      }
    }
  }
  return counts;
}

/** Grouped bar histogram: for each bin [edges[i], edges[i+1]), one bar per series (counts of its values). */
export interface Histogram {
  title: string;
  xLabel: string;
  edges: number[];
  series: { label: string; values: number[] }[];
}

export function renderHistogram(hg: Histogram): Buffer {
  const [w, h, left, top, bottom, legendW] = [520, 260, 56, 30, 40, 170];
  const bins = hg.edges.length - 1;
  const counts = hg.series.map((s) => histogram(s.values, hg.edges));
  const yMax = Math.max(4, Math.ceil(Math.max(...counts.flat()) / 4) * 4);
  const binW = w / bins;
  const barW = (binW * 0.8) / Math.max(1, hg.series.length);
  const parts = [`<rect width="100%" height="100%" fill="white"/>`];
  parts.push(`<text x="${left + w / 2}" y="18" font-size="13" font-family="DejaVu Sans" text-anchor="middle" font-weight="bold">${esc(hg.title)}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<text x="${left - 4}" y="${top + h - (h * i) / 4 + 4}" font-size="10" font-family="DejaVu Sans" text-anchor="end">${tick(v)}</text>`);
  }
  hg.edges.forEach((e, i) => parts.push(`<text x="${left + i * binW}" y="${top + h + 14}" font-size="10" font-family="DejaVu Sans" text-anchor="middle">${tick(e)}</text>`));
  counts.forEach((cs, si) =>
    cs.forEach((c, i) => {
      const bh = (c / yMax) * h;
      const x = left + i * binW + binW * 0.1 + si * barW;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(top + h - bh).toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`);
    }),
  );
  parts.push(`<text x="${left + w / 2}" y="${top + h + 32}" font-size="11" font-family="DejaVu Sans" text-anchor="middle">${esc(hg.xLabel)}</text>`);
  parts.push(`<text x="${left - 40}" y="${top + h / 2}" font-size="11" font-family="DejaVu Sans" text-anchor="middle" transform="rotate(-90 ${left - 40} ${top + h / 2})">settings</text>`);
  hg.series.forEach((s, si) => {
    const y = top + 10 + si * 16;
    parts.push(`<rect x="${left + w + 10}" y="${y - 8}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/>`);
    parts.push(`<text x="${left + w + 24}" y="${y + 1}" font-size="11" font-family="DejaVu Sans">${esc(s.label)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${left + w + legendW}" height="${h + top + bottom}">${parts.join('')}</svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

export function writeHistogram(path: string, hg: Histogram): void {
  writeFileAtomic(path, renderHistogram(hg));
}
