// The MODE-score grid of `gantry bench mode-grid` and the histogram it draws.
import { describe, expect, it } from 'vitest';
import { MODE_GRID, gridSettings } from '../../src/bench/mode-grid.js';
import { histogram } from '../../src/report/chart.js';

describe('mode-grid', () => {
  it('24 distinct settings: every learning rate × β1 × networks × batch once', () => {
    const s = gridSettings();
    expect(s).toHaveLength(MODE_GRID.lr.length * MODE_GRID.beta1.length * MODE_GRID.nets.length * MODE_GRID.batchSize.length);
    expect(s.length).toBeGreaterThanOrEqual(24);
    expect(new Set(s.map((x) => JSON.stringify(x.protocol))).size).toBe(s.length);
    expect(new Set(s.map((x) => x.label)).size).toBe(s.length);
  });
  it('histogram: half-open bins, the last one closed, values outside left out', () => {
    expect(histogram([0, 0.5, 1, 1.99, 2, 3, 3.5, -1], [0, 1, 2, 3])).toEqual([2, 2, 2]);
    expect(histogram([], [0, 1])).toEqual([0]);
  });
});
