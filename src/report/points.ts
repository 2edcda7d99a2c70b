// Plots of 2D point samples: data vs generated densities (VEEGAN's Figure 2) and the critic's heat
// map with the generated samples (red) and the modes (white) drawn over it.
import { linspace, noGrad, scope, stack, type Tensor } from '../torch/index.js';
import { writeFigure, type Figure } from './figure.js';
import { histogramPanel } from './images.js';
import { densityPanel, drawPoints, heatPanel, squareRange, type Panel, type Range } from './raster.js';

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

/** A critic's score on a size × size grid over `range` with its extremes (null when it does not score points alone). */
export function criticHeatmap(critic: (x: Tensor) => Tensor | null, [x0, x1, y0, y1]: Range, size: number): { panel: Panel; lo: number; hi: number } | null {
  return scope(() =>
    noGrad(() => {
      const xs = linspace(x0, x1, size);
      const ys = linspace(y1, y0, size); // row 0 at the top
      const grid = stack([xs.view(1, -1).expand(size, size), ys.view(-1, 1).expand(size, size)], 2).reshape(-1, 2);
      const score = critic(grid);
      if (!score) return null;
      const v = score.toNumbers();
      return { panel: heatPanel(v, size), lo: Math.min(...v), hi: Math.max(...v) };
    }),
  );
}

export interface PointPlots {
  /** What ran: method, data, steps and seed. */
  title: string;
  /** Real samples, as many as generated. */
  data: Tensor;
  samples: Tensor;
  critic: (x: Tensor) => Tensor | null;
  /** The modes' centres, drawn on the heat map. */
  means?: Tensor;
}

/** density.png: data | generated, with axis extents and the colour scale. */
export function densityFigure(p: PointPlots): { figure: Figure; range: Range } {
  const { data, generated, range } = densityPanels(p.data, p.samples);
  const figure: Figure = {
    title: p.title,
    rowLabels: [''],
    colLabels: ['data', 'generated'],
    cells: [[{ panel: data, range }, { panel: generated, range }]],
    panelSize: 300,
    colorbar: { label: 'relative log density', lo: 0, hi: 1 },
    xLabel: 'x₀',
    yLabel: 'x₁',
  };
  return { figure, range };
}

/** critic.png: the critic's score over the range, generated samples and the modes drawn on it (null when it does not score points alone). */
export function criticFigure(p: PointPlots, range: Range): Figure | null {
  const heat = criticHeatmap(p.critic, range, 200);
  if (!heat) return null;
  drawPoints(heat.panel, toRows(p.samples).slice(0, 500), range, [255, 80, 80], 1);
  if (p.means) drawPoints(heat.panel, toRows(p.means), range, [255, 255, 255], 2);
  return {
    title: `The discriminator's view: ${p.title}`,
    rowLabels: [''],
    colLabels: [''],
    cells: [[{ panel: heat.panel, range }]],
    panelSize: 300,
    legend: [{ label: 'generated samples (500)', color: 'rgb(255,80,80)' }, ...(p.means ? [{ label: 'modes', color: 'white' }] : [])],
    colorbar: { label: "D's score", lo: heat.lo, hi: heat.hi },
    xLabel: 'x₀',
    yLabel: 'x₁',
  };
}

/** density.png and, when the critic scores points, critic.png. */
export function writePointPlots(paths: { density: string; critic: string }, p: PointPlots): void {
  const { figure, range } = densityFigure(p);
  writeFigure(paths.density, figure);
  const critic = criticFigure(p, range);
  if (critic) writeFigure(paths.critic, critic);
}

/** A mode histogram (one bar per mode id, missing ones red below the axis) as a labelled figure. */
export function modeHistogramFigure(counts: number[], title: string): Figure {
  const missing = counts.filter((c) => c === 0).length;
  const max = Math.max(1, ...counts);
  return {
    title,
    rowLabels: [''],
    colLabels: [''],
    cells: [[{ panel: histogramPanel(counts, 300), range: [0, counts.length, (-max * 6) / 300, max], caption: `${counts.length - missing} of ${counts.length} modes generated` }]],
    // One pixel column per mode (scaled down, a single mode's bar would vanish); 306 rows: bars and the red marks.
    panelSize: 306,
    panelWidth: Math.max(300, counts.length),
    legend: [
      { label: 'samples per mode id', color: 'rgb(40,90,160)' },
      { label: `never generated (${missing})`, color: 'rgb(220,40,40)' },
    ],
    xLabel: 'mode id',
    yLabel: 'samples',
  };
}

export const writeModeHistogram = (path: string, counts: number[], title: string): void => writeFigure(path, modeHistogramFigure(counts, title));
