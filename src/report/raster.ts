// Small raster panels (density maps, heat maps) as RGBA buffers, written with pngjs; labelled
// figures are composed as SVG and rendered with resvg (figure.ts).
import { writeFileAtomic } from '../torch/index.js';
import { PNG } from 'pngjs';

export interface Panel {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Viridis, sampled at 6 anchors and interpolated linearly. */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84], [65, 68, 135], [42, 120, 142], [34, 168, 132], [122, 209, 81], [253, 231, 37],
];
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(VIRIDIS[i][c] * (1 - f) + VIRIDIS[i + 1][c] * f)) as [number, number, number];
}

export type Range = [number, number, number, number];

/** A 2D range covering the points with a margin, square so that circles stay circles. */
export function squareRange(points: number[][], margin = 0.15): Range {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const half = (Math.max(x1 - x0, y1 - y0) / 2) * (1 + margin) || 1;
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return [cx - half, cx + half, cy - half, cy + half];
}

/** Log-density of 2D points on a size×size grid, lightly blurred (as the KDE plots of VEEGAN Fig. 2). */
export function densityPanel(points: number[][], range: Range, size = 200): Panel {
  const [x0, x1, y0, y1] = range;
  const h = new Float64Array(size * size);
  for (const [x, y] of points) {
    const i = Math.floor(((x - x0) / (x1 - x0)) * size);
    const j = Math.floor(((y1 - y) / (y1 - y0)) * size); // y up
    if (i >= 0 && i < size && j >= 0 && j < size) h[j * size + i]++;
  }
  const blurred = boxBlur(boxBlur(h, size, 2), size, 2);
  const max = Math.max(...blurred);
  return colour(size, size, blurred.map((v) => (v > 0 ? Math.log1p(v * 50) / Math.log1p(max * 50) : 0)));
}

/** Heat map of values on a row-major size×size grid (row 0 at the top), normalised to [0, 1]. */
export function heatPanel(values: ArrayLike<number>, size: number): Panel {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  return colour(size, size, Float64Array.from(values, (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5)));
}

/** Draws points as small white-ringed dots of the given colour. */
export function drawPoints(panel: Panel, points: number[][], range: Range, rgb: [number, number, number], radius = 1): void {
  const [x0, x1, y0, y1] = range;
  for (const [x, y] of points) {
    const cx = Math.round(((x - x0) / (x1 - x0)) * panel.width);
    const cy = Math.round(((y1 - y) / (y1 - y0)) * panel.height);
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        const [px, py] = [cx + dx, cy + dy];
        if (px < 0 || py < 0 || px >= panel.width || py >= panel.height) continue;
        const o = (py * panel.width + px) * 4;
        panel.rgba.set([...rgb, 255], o);
      }
    }
  }
}

function colour(width: number, height: number, t: ArrayLike<number>): Panel {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([...viridis(t[i]), 255], i * 4);
  return { width, height, rgba };
}

function boxBlur(h: Float64Array, size: number, r: number): Float64Array {
  const out = new Float64Array(h.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const [px, py] = [x + dx, y + dy];
          if (px >= 0 && py >= 0 && px < size && py < size) {
            s += h[py * size + px];
            n++;
          }
        }
      }
      out[y * size + x] = s / n;
    }
  }
  return out;
}

export function encodePng(p: Panel): Buffer {
  const png = new PNG({ width: p.width, height: p.height });
  png.data = Buffer.from(p.rgba.buffer, p.rgba.byteOffset, p.rgba.byteLength);
  return PNG.sync.write(png);
}

export function writePng(path: string, p: Panel): void {
  writeFileAtomic(path, encodePng(p));
}
