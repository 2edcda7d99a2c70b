// Labelled figures: panels laid out in a grid with titles, composed as SVG and rendered to PNG
// by resvg (fonts from the system; scripts/setup.sh installs DejaVu).
import { writeFileAtomic } from '../torch/index.js';
import { Resvg } from '@resvg/resvg-js';
import { encodePng, type Panel } from './raster.js';

export interface FigureCell {
  panel: Panel | null;
  caption?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** rows × cols panels with row labels on the left, column labels on top and captions below. */
export function renderFigure(o: { title?: string; rowLabels: string[]; colLabels: string[]; cells: FigureCell[][]; panelSize?: number }): Buffer {
  const s = o.panelSize ?? 160;
  // DejaVu Sans at 13 px averages under 8 px a character; 15 px bold under 9.
  const left = Math.max(110, 16 + 8 * Math.max(0, ...o.rowLabels.map((r) => r.length)));
  const [top, gap, captionH] = [o.title ? 56 : 32, 8, 18];
  const width = Math.max(left + o.colLabels.length * (s + gap), 20 + 9 * (o.title?.length ?? 0));
  const height = top + o.rowLabels.length * (s + captionH + gap);
  const parts: string[] = [`<rect width="100%" height="100%" fill="white"/>`];
  if (o.title) parts.push(`<text x="${width / 2}" y="20" font-size="15" font-family="DejaVu Sans" text-anchor="middle" font-weight="bold">${esc(o.title)}</text>`);
  o.colLabels.forEach((c, j) =>
    parts.push(`<text x="${left + j * (s + gap) + s / 2}" y="${top - 8}" font-size="13" font-family="DejaVu Sans" text-anchor="middle">${esc(c)}</text>`),
  );
  o.rowLabels.forEach((r, i) => {
    const y = top + i * (s + captionH + gap);
    parts.push(`<text x="${left - 8}" y="${y + s / 2}" font-size="13" font-family="DejaVu Sans" text-anchor="end">${esc(r)}</text>`);
    o.cells[i].forEach((cell, j) => {
      const x = left + j * (s + gap);
      if (cell.panel) {
        const uri = `data:image/png;base64,${encodePng(cell.panel).toString('base64')}`;
        parts.push(`<image x="${x}" y="${y}" width="${s}" height="${s}" href="${uri}"/>`);
      } else {
        parts.push(`<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="#eee"/>`);
      }
      if (cell.caption) parts.push(`<text x="${x + s / 2}" y="${y + s + 13}" font-size="11" font-family="DejaVu Sans" text-anchor="middle">${esc(cell.caption)}</text>`);
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

export function writeFigure(path: string, o: Parameters<typeof renderFigure>[0]): void {
  writeFileAtomic(path, renderFigure(o));
}
