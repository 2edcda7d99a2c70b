// Line charts (metric against training iterations, one line per method) as SVG rendered by resvg.
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

export interface Series {
  label: string;
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tick = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toPrecision(3)}`);

/** Several charts side by side, each with its own y axis; x is shared in meaning (iterations). */
export function renderCharts(charts: { title: string; yLabel: string; series: Series[] }[], xLabel: string): Buffer {
  const [w, h, left, top, bottom, legendW] = [360, 240, 56, 30, 40, 150];
  const width = charts.length * (w + left) + legendW;
  const height = h + top + bottom;
  const parts = [`<rect width="100%" height="100%" fill="white"/>`];
  charts.forEach((c, ci) => {
    const ox = ci * (w + left) + left;
    const all = c.series.flatMap((s) => s.points);
    const [x0, x1] = [Math.min(0, ...all.map((p) => p[0])), Math.max(1, ...all.map((p) => p[0]))];
    const [y0, y1] = [Math.min(0, ...all.map((p) => p[1])), Math.max(1e-9, ...all.map((p) => p[1])) * 1.05];
    const X = (x: number) => ox + ((x - x0) / (x1 - x0)) * w;
    const Y = (y: number) => top + h - ((y - y0) / (y1 - y0)) * h;
    parts.push(`<text x="${ox + w / 2}" y="18" font-size="13" font-family="DejaVu Sans" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`);
    parts.push(`<rect x="${ox}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (let i = 0; i <= 4; i++) {
      const yv = y0 + ((y1 - y0) * i) / 4;
      const xv = x0 + ((x1 - x0) * i) / 4;
      parts.push(`<text x="${ox - 4}" y="${Y(yv) + 4}" font-size="10" font-family="DejaVu Sans" text-anchor="end">${tick(yv)}</text>`);
      parts.push(`<text x="${X(xv)}" y="${top + h + 14}" font-size="10" font-family="DejaVu Sans" text-anchor="middle">${tick(xv)}</text>`);
    }
    parts.push(`<text x="${ox + w / 2}" y="${top + h + 32}" font-size="11" font-family="DejaVu Sans" text-anchor="middle">${esc(xLabel)}</text>`);
    parts.push(`<text x="${ox - 44}" y="${top + h / 2}" font-size="11" font-family="DejaVu Sans" text-anchor="middle" transform="rotate(-90 ${ox - 44} ${top + h / 2})">${esc(c.yLabel)}</text>`);
    c.series.forEach((s, si) => {
      const pts = [...s.points].sort((a, b) => a[0] - b[0]).map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
      const color = COLORS[si % COLORS.length];
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

export function writeCharts(path: string, charts: Parameters<typeof renderCharts>[0], xLabel: string): void {
  writeFileSync(path, renderCharts(charts, xLabel));
}
