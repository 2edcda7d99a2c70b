// Labelled figures: panels laid out in a grid with a title, row and column labels, captions, axis
// ticks along a panel's edges when it has a range, a legend of marks and a colour bar, composed as
// SVG (which tests read) and rendered to PNG by resvg (fonts from the system; setup installs DejaVu).
import { writeFileAtomic } from '../torch/index.js';
import { rasterize } from './chart.js';
import { encodePng, viridis, type Panel, type Range } from './raster.js';
import { tickLabel, ticksInside } from './ticks.js';

export interface FigureCell {
  panel: Panel | null;
  caption?: string;
  /** The data extents the panel shows, [x0, x1, y0, y1]: ticks drawn below and left of it. */
  range?: Range;
}

export interface Figure {
  title?: string;
  rowLabels: string[];
  colLabels: string[];
  cells: FigureCell[][];
  panelSize?: number;
  /** Panels wider than tall (a mode histogram, one pixel column per mode); default: square. */
  panelWidth?: number;
  /** What the marks drawn on the panels are (e.g. red: generated samples). */
  legend?: { label: string; color: string }[];
  /** The panels' colour scale (viridis), from lo to hi. */
  colorbar?: { label: string; lo: number; hi: number };
  /** Axis names, when cells have ranges. */
  xLabel?: string;
  yLabel?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="DejaVu Sans" ${attrs}>${esc(s)}</text>`;

/** The figure as SVG. DejaVu Sans averages under 8 px a character at 13 px, under 9 at 15 px bold. */
export function figureSvg(o: Figure): string {
  const s = o.panelSize ?? 160;
  const pw = o.panelWidth ?? s;
  const ranged = o.cells.some((r) => r.some((c) => c.range));
  const axisW = ranged ? 44 : 0;
  const left = Math.max(110, 16 + 8 * Math.max(0, ...o.rowLabels.map((r) => r.length))) + axisW;
  const legendRow = o.legend?.length || o.colorbar ? 22 : 0;
  const top = (o.title ? 56 : 32) + legendRow;
  const [gap, captionH] = [ranged ? 18 : 8, 18 + (ranged ? 14 : 0)];
  const legendText = (o.legend ?? []).map((l) => l.label).join('    ') + (o.colorbar ? `    ${o.colorbar.label} 0000 to 0000` : '');
  const width = Math.max(left + o.colLabels.length * (pw + gap), 20 + 9 * (o.title?.length ?? 0), 40 + 7 * legendText.length + (o.colorbar ? 120 : 0));
  const height = top + o.rowLabels.length * (s + captionH + gap) + (ranged && o.xLabel ? 16 : 0);
  const parts: string[] = [`<rect width="100%" height="100%" fill="white"/>`];
  if (o.title) parts.push(text(width / 2, 20, o.title, 'font-size="15" text-anchor="middle" font-weight="bold"'));
  let lx = 20;
  const ly = (o.title ? 36 : 12) + 8;
  for (const l of o.legend ?? []) {
    parts.push(`<circle data-legend="${esc(l.label)}" cx="${lx + 5}" cy="${ly - 4}" r="4" fill="${l.color}" stroke="#333" stroke-width="0.5"/>`);
    parts.push(text(lx + 14, ly, l.label, 'font-size="12"'));
    lx += 30 + 7 * l.label.length;
  }
  if (o.colorbar) {
    const { label, lo, hi } = o.colorbar;
    parts.push(text(lx, ly, `${label}: ${tickLabel(+lo.toPrecision(3))}`, 'font-size="12"'));
    lx += 14 + 7 * (label.length + 8);
    for (let i = 0; i < 100; i++) parts.push(`<rect x="${lx + i}" y="${ly - 10}" width="1.2" height="12" fill="rgb(${viridis(i / 99).join(',')})"/>`);
    parts.push(text(lx + 106, ly, tickLabel(+hi.toPrecision(3)), 'font-size="12"'));
  }
  o.colLabels.forEach((c, j) => parts.push(text(left + j * (pw + gap) + pw / 2, top - 8, c, 'font-size="13" text-anchor="middle"')));
  o.rowLabels.forEach((r, i) => {
    const y = top + i * (s + captionH + gap);
    parts.push(text(left - axisW - 8, y + s / 2, r, 'font-size="13" text-anchor="end"'));
    o.cells[i].forEach((cell, j) => {
      const x = left + j * (pw + gap);
      if (cell.panel) {
        const uri = `data:image/png;base64,${encodePng(cell.panel).toString('base64')}`;
        parts.push(`<image x="${x}" y="${y}" width="${pw}" height="${s}" preserveAspectRatio="none" href="${uri}"/>`);
      } else {
        parts.push(`<rect x="${x}" y="${y}" width="${pw}" height="${s}" fill="#eee"/>`);
      }
      if (cell.range) {
        const [x0, x1, y0, y1] = cell.range;
        for (const v of ticksInside(x0, x1)) {
          const px = x + ((v - x0) / (x1 - x0)) * pw;
          parts.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${y + s}" y2="${y + s + 4}" stroke="#333"/>`);
          parts.push(text(px, y + s + 14, tickLabel(v), 'font-size="10" text-anchor="middle"'));
        }
        for (const v of ticksInside(y0, y1)) {
          const py = y + s - ((v - y0) / (y1 - y0)) * s;
          parts.push(`<line x1="${x - 4}" x2="${x}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#333"/>`);
          parts.push(text(x - 6, py + 3.5, tickLabel(v), 'font-size="10" text-anchor="end"'));
        }
      }
      const cy = y + s + 13 + (cell.range ? 14 : 0);
      if (cell.caption) parts.push(text(x + pw / 2, cy, cell.caption, 'font-size="11" text-anchor="middle"'));
    });
  });
  if (ranged && o.xLabel) parts.push(text(left + (o.colLabels.length * (pw + gap) - gap) / 2, height - 6, o.xLabel, 'font-size="11" text-anchor="middle"'));
  if (ranged && o.yLabel) parts.push(text(14, top + s / 2, o.yLabel, `font-size="11" text-anchor="middle" transform="rotate(-90 14 ${top + s / 2})"`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export const renderFigure = (o: Figure): Buffer => rasterize(figureSvg(o));

export function writeFigure(path: string, o: Figure): void {
  writeFileAtomic(path, renderFigure(o));
}
