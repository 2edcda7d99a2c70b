// Line charts (metric against training iterations, one line per method) as SVG rendered by resvg.
import { writeFileAtomic } from '../torch/index.js';
import { Resvg } from '@resvg/resvg-js';
import { logTicks, niceTicks, tickLabel } from './ticks.js';

export interface Series {
  label: string;
  points: [number, number][];
  /** ± this much around each point's y, drawn as an error bar (same order as points). */
  spread?: number[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="DejaVu Sans" ${attrs}>${esc(s)}</text>`;

/** Several charts side by side, each with its own y axis; x is shared in meaning (iterations). */
export interface Chart {
  title: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic axes (base 10); points at or below 0 are left out. */
  logX?: boolean;
  logY?: boolean;
}

/** One colour per series label across every chart of a figure, so one legend serves them all. */
function colourByLabel(charts: Chart[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const c of charts) for (const s of c.series) if (!colours.has(s.label)) colours.set(s.label, COLORS[colours.size % COLORS.length]);
  return colours;
}

/** An axis: its ticks, and where a value falls in [0, 1] along it. */
function axis(values: number[], log: boolean | undefined, o: { fromZero?: boolean; integer?: boolean }) {
  if (log) {
    const ticks = logTicks(Math.min(...values), Math.max(...values));
    const [a, b] = [Math.log10(ticks[0]), Math.log10(ticks[ticks.length - 1])];
    return { ticks, at: (v: number) => (Math.log10(v) - a) / (b - a) };
  }
  const lo = Math.min(o.fromZero ? 0 : Infinity, ...values);
  const ticks = niceTicks(lo, Math.max(...values), { integer: o.integer });
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return { ticks, at: (v: number) => (v - a) / (b - a) };
}

/** The charts as SVG (what tests read: titles, axis labels, ticks and legend are text). */
export function chartsSvg(charts: Chart[], xLabel: string): string {
  const [w, h, left, top, bottom] = [360, 240, 76, 30, 40];
  const colours = colourByLabel(charts);
  const legendW = 30 + 8 * Math.max(8, ...[...colours.keys()].map((l) => l.length));
  const width = charts.length * (w + left) + legendW;
  const height = Math.max(h + top + bottom, top + 16 * colours.size + 10);
  const parts = [`<rect width="100%" height="100%" fill="white"/>`];
  charts.forEach((c, ci) => {
    const ox = ci * (w + left) + left;
    const ok = ([x, y]: [number, number]) => (!c.logX || x > 0) && (!c.logY || y > 0) && Number.isFinite(x) && Number.isFinite(y);
    const pts = c.series.flatMap((s) => s.points.filter(ok));
    const ys = pts.map((p) => p[1]);
    const integer = ys.length > 0 && ys.every(Number.isInteger);
    const ax = axis(pts.length ? pts.map((p) => p[0]) : [0, 1], c.logX, { fromZero: true, integer: true });
    const ay = axis(ys.length ? ys : [0, 1], c.logY, { fromZero: !c.logY, integer });
    const X = (x: number) => ox + ax.at(x) * w;
    const Y = (y: number) => top + h - ay.at(y) * h;
    parts.push(text(ox + w / 2, 18, c.title, 'font-size="13" text-anchor="middle" font-weight="bold"'));
    parts.push(`<rect x="${ox}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (const v of ay.ticks) parts.push(text(ox - 4, Y(v) + 4, tickLabel(v), 'font-size="10" text-anchor="end"'));
    for (const v of ax.ticks) parts.push(text(X(v), top + h + 14, tickLabel(v), 'font-size="10" text-anchor="middle"'));
    parts.push(text(ox + w / 2, top + h + 32, xLabel, 'font-size="11" text-anchor="middle"'));
    parts.push(text(ox - 56, top + h / 2, c.yLabel, `font-size="11" text-anchor="middle" transform="rotate(-90 ${ox - 56} ${top + h / 2})"`));
    for (const s of c.series) {
      const color = colours.get(s.label)!;
      s.points.forEach(([x, y], i) => {
        const e = s.spread?.[i];
        if (!e || !ok([x, y])) return;
        const lo = c.logY ? Math.max(y - e, ay.ticks[0]) : y - e;
        parts.push(`<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${Y(lo).toFixed(1)}" y2="${Y(y + e).toFixed(1)}" stroke="${color}" stroke-opacity="0.5"/>`);
      });
      const line = s.points.filter(ok).sort((a, b) => a[0] - b[0]).map(([x, y]) => [X(x).toFixed(1), Y(y).toFixed(1)]);
      parts.push(`<polyline data-series="${esc(s.label)}" points="${line.map((p) => p.join(',')).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const [cx, cy] of line) parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    }
  });
  [...colours].forEach(([label, color], i) => {
    const y = top + 10 + i * 16;
    const x = charts.length * (w + left) + 10;
    parts.push(`<rect data-legend="${esc(label)}" x="${x}" y="${y - 8}" width="10" height="10" fill="${color}"/>`);
    parts.push(text(x + 14, y + 1, label, 'font-size="11"'));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export const rasterize = (svg: string): Buffer => new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();

export function renderCharts(charts: Chart[], xLabel: string): Buffer {
  return rasterize(chartsSvg(charts, xLabel));
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
  /** What is counted (default: settings). */
  yLabel?: string;
}

/** The grouped histogram as SVG. */
export function histogramSvg(hg: Histogram): string {
  const [w, h, left, top, bottom] = [520, 260, 56, 30, 40];
  const legendW = 30 + 8 * Math.max(8, ...hg.series.map((s) => s.label.length));
  const bins = hg.edges.length - 1;
  const counts = hg.series.map((s) => histogram(s.values, hg.edges));
  const yTicks = niceTicks(0, Math.max(1, ...counts.flat()), { integer: true });
  const yMax = yTicks[yTicks.length - 1];
  const binW = w / bins;
  const barW = (binW * 0.8) / Math.max(1, hg.series.length);
  const parts = [`<rect width="100%" height="100%" fill="white"/>`];
  parts.push(text(left + w / 2, 18, hg.title, 'font-size="13" text-anchor="middle" font-weight="bold"'));
  parts.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const v of yTicks) parts.push(text(left - 4, top + h - (h * v) / yMax + 4, tickLabel(v), 'font-size="10" text-anchor="end"'));
  hg.edges.forEach((e, i) => parts.push(text(left + i * binW, top + h + 14, tickLabel(e), 'font-size="10" text-anchor="middle"')));
  counts.forEach((cs, si) =>
    cs.forEach((c, i) => {
      const bh = (c / yMax) * h;
      const x = left + i * binW + binW * 0.1 + si * barW;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(top + h - bh).toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`);
    }),
  );
  parts.push(text(left + w / 2, top + h + 32, hg.xLabel, 'font-size="11" text-anchor="middle"'));
  parts.push(text(left - 40, top + h / 2, hg.yLabel ?? 'settings', `font-size="11" text-anchor="middle" transform="rotate(-90 ${left - 40} ${top + h / 2})"`));
  hg.series.forEach((s, si) => {
    const y = top + 10 + si * 16;
    parts.push(`<rect data-legend="${esc(s.label)}" x="${left + w + 10}" y="${y - 8}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/>`);
    parts.push(text(left + w + 24, y + 1, s.label, 'font-size="11"'));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + w + legendW}" height="${h + top + bottom}">${parts.join('')}</svg>`;
}

export function renderHistogram(hg: Histogram): Buffer {
  return rasterize(histogramSvg(hg));
}

export function writeHistogram(path: string, hg: Histogram): void {
  writeFileAtomic(path, renderHistogram(hg));
}
