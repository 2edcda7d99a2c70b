// Plots of 2D point samples: data vs generated densities (VEEGAN's Figure 2) and the critic's heat
// map with the generated samples (red) and the modes (white) drawn over it.
import { linspace, noGrad, scope, stack, type Tensor } from '../torch/index.js';
import { writeFigure } from './figure.js';
import { densityPanel, drawPoints, heatPanel, squareRange, writePng, type Panel, type Range } from './raster.js';

export function toRows(t: Tensor): number[][] {
  const [n, d] = t.shape;
  const v = t.toNumbers();
  return Array.from({ length: n }, (_, i) => v.slice(i * d, (i + 1) * d));
}

/** Density panels of data and generated samples on one square range around the data. */
export function densityPanels(data: Tensor, samples: Tensor): { data: Panel; generated: Panel; range: Range } {
  const rows = toRows(data);
  const range = squareRange(rows, 0.3);
  return { data: densityPanel(rows, range), generated: densityPanel(toRows(samples), range), range };
}

/** A critic's score on a size × size grid over `range` (null when it does not score points alone). */
export function criticHeatmap(critic: (x: Tensor) => Tensor | null, [x0, x1, y0, y1]: Range, size: number): Panel | null {
  return scope(() =>
    noGrad(() => {
      const xs = linspace(x0, x1, size);
      const ys = linspace(y1, y0, size); // row 0 at the top
      const grid = stack([xs.view(1, -1).expand(size, size), ys.view(-1, 1).expand(size, size)], 2).reshape(-1, 2);
      const score = critic(grid);
      return score ? heatPanel(score.toNumbers(), size) : null;
    }),
  );
}

export interface PointPlots {
  title: string;
  /** Real samples, as many as generated. */
  data: Tensor;
  samples: Tensor;
  critic: (x: Tensor) => Tensor | null;
  /** The modes' centres, drawn on the heat map. */
  means?: Tensor;
}

/** density.png (data | generated) and, when the critic scores points, critic.png. */
export function writePointPlots(paths: { density: string; critic: string }, p: PointPlots): void {
  const { data, generated, range } = densityPanels(p.data, p.samples);
  writeFigure(paths.density, { title: p.title, rowLabels: [''], colLabels: ['data', 'generated'], cells: [[{ panel: data }, { panel: generated }]], panelSize: 300 });
  const heat = criticHeatmap(p.critic, range, 200);
  if (heat) {
    drawPoints(heat, toRows(p.samples).slice(0, 500), range, [255, 80, 80], 1);
    if (p.means) drawPoints(heat, toRows(p.means), range, [255, 255, 255], 2);
    writePng(paths.critic, heat);
  }
}
