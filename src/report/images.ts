// Pictures of image samples: a grid of tiles (as torchvision's make_grid) and a bar chart of a
// mode histogram, as raster panels for pngjs.
import type { Tensor } from '../torch/index.js';
import { noGrad, scope } from '../torch/index.js';
import type { Panel } from './raster.js';

/** x [n, c, h, w] in [−1, 1] (c = 1 or 3) → `cols` tiles per row with a 2-pixel white border. */
export function imageGrid(x: Tensor, cols = 8, pad = 2): Panel {
  const [n, c, h, w] = x.shape;
  if (c !== 1 && c !== 3) throw new Error(`an image grid needs 1 or 3 channels, got ${c}`);
  const v = scope(() => noGrad(() => x.clamp(-1, 1).add(1).mul(127.5).round().to('float32').toNumbers()));
  const rows = Math.ceil(n / cols);
  const width = cols * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  for (let i = 0; i < n; i++) {
    const ox = pad + (i % cols) * (w + pad);
    const oy = pad + Math.floor(i / cols) * (h + pad);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const o = ((oy + y) * width + ox + xx) * 4;
        for (let k = 0; k < 3; k++) rgba[o + k] = v[((i * c + (c === 1 ? 0 : k)) * h + y) * w + xx];
      }
    }
  }
  return { width, height, rgba };
}

/**
 * Bars of `counts` scaled to the largest, `barWidth` pixels per bin (a 1-pixel gap between bars
 * wider than 2), missing bins marked red below the axis.
 */
export function histogramPanel(counts: number[], height = 160, barWidth = 1): Panel {
  const gap = barWidth > 2 ? 1 : 0;
  const width = counts.length * (barWidth + gap);
  const h = height + 6;
  const rgba = new Uint8Array(width * h * 4).fill(255);
  const max = Math.max(1, ...counts);
  counts.forEach((c, bin) => {
    const bar = Math.round((c / max) * height);
    for (let x = bin * (barWidth + gap); x < bin * (barWidth + gap) + barWidth; x++) {
      for (let y = height - bar; y < height; y++) rgba.set([40, 90, 160, 255], (y * width + x) * 4);
      if (c === 0) for (let y = height + 1; y < h; y++) rgba.set([220, 40, 40, 255], (y * width + x) * 4);
    }
  });
  return { width, height: h, rgba };
}
