// Every figure kind a run or a benchmark writes, read as the SVG it is drawn from: a title, labelled
// axes with round ticks (whole numbers for counts, powers of ten on log axes), a legend whose
// colours match its series, and no text running off the canvas.
import { describe, expect, it } from 'vitest';
import { chartsSvg, histogramSvg } from '../../src/report/chart.js';
import { figureSvg, type Figure } from '../../src/report/figure.js';
import { criticFigure, densityFigure, modeHistogramFigure } from '../../src/report/points.js';
import { niceTicks, tickLabel } from '../../src/report/ticks.js';
import { manualSeed, randn, tensor } from '../../src/torch/index.js';

const texts = (svg: string, attr = '') => [...svg.matchAll(new RegExp(`<text x="([-\\d.]+)" y="[-\\d.]+" font-family="DejaVu Sans" ${attr}[^>]*>([^<]*)</text>`, 'g'))].map((m) => ({ x: Number(m[1]), s: m[2] }));
const ticksOf = (svg: string) => texts(svg, 'font-size="10"').map((t) => t.s);
const value = (s: string) => (s.endsWith('k') ? 1000 * Number(s.slice(0, -1)) : Number(s));
const widthOf = (svg: string) => Number(/<svg [^>]*width="([\d.]+)"/.exec(svg)![1]);

/** Ticks are evenly spaced by 1, 2 or 5 × 10^k. */
function expectRound(values: number[]) {
  const steps = values.slice(1).map((v, i) => +(v - values[i]).toPrecision(6));
  expect(new Set(steps).size, `ticks ${values}`).toBe(1);
  const m = steps[0] / 10 ** Math.floor(Math.log10(steps[0]));
  expect([1, 2, 5].map((k) => Math.abs(m - k) < 1e-9).some(Boolean), `step ${steps[0]}`).toBe(true);
}

/** No text crosses the left or right edge (DejaVu at ≤ 13 px: under 8 px a character). */
function expectNoClipping(svg: string) {
  const w = widthOf(svg);
  for (const m of svg.matchAll(/<text x="([-\d.]+)"([^>]*)>([^<]*)<\/text>/g)) {
    const [x, anchor, s] = [Number(m[1]), /text-anchor="(middle|end)"/.exec(m[2])?.[1] ?? 'start', m[3]];
    const len = 8 * s.length;
    const [a, b] = anchor === 'end' ? [x - len, x] : anchor === 'middle' ? [x - len / 2, x + len / 2] : [x, x + len];
    if (/rotate/.test(m[0])) continue;
    expect(a, `"${s}" starts at ${a}`).toBeGreaterThanOrEqual(-1);
    expect(b, `"${s}" ends at ${b} of ${w}`).toBeLessThanOrEqual(w + 1);
  }
}

describe('ticks', () => {
  it('round values covering the data, whole numbers for counts, clean labels', () => {
    expect(niceTicks(0, 0.717)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-2.1, 58.3)).toEqual([-20, 0, 20, 40, 60]);
    expect(niceTicks(0, 0.525, { integer: true })).toEqual([0, 1]);
    expect(niceTicks(0, 7, { integer: true })).toEqual([0, 2, 4, 6, 8]);
    expect([0.30000000000000004, 1500, 2e-5, 0.1].map(tickLabel)).toEqual(['0.3', '1.5k', '2e-5', '0.1']);
  });
});

describe('every figure kind', () => {
  it("losses.png (wgan-gp's keys): one colour per series across both panels, and the legend shows each in it", () => {
    const steps = [100, 200, 300, 400];
    const s = (label: string, f: (i: number) => number) => ({ label, points: steps.map((x, i) => [x, f(i)] as [number, number]) });
    const svg = chartsSvg(
      [
        { title: 'losses', yLabel: 'loss', series: [s('gp', (i) => 0.1 * i), s('d', (i) => -0.717 * i), s('g', (i) => 58.3 - i)] },
        { title: 'gradient norms', yLabel: '‖∇‖', series: [s('grad_norm_D', (i) => 0.5 + i), s('grad_norm_G', (i) => 3 * (i + 1))], logY: true },
      ],
      'generator steps',
    );
    for (const t of ['losses', 'gradient norms', 'generator steps', 'loss', '‖∇‖']) expect(svg).toContain(`>${t}</text>`);
    const legend = new Map([...svg.matchAll(/data-legend="([^"]+)"[^>]*fill="([^"]+)"/g)].map((m) => [m[1], m[2]]));
    const lines = new Map([...svg.matchAll(/data-series="([^"]+)"[^>]*stroke="([^"]+)"/g)].map((m) => [m[1], m[2]]));
    expect([...legend.keys()]).toEqual(['gp', 'd', 'g', 'grad_norm_D', 'grad_norm_G']);
    for (const [label, colour] of lines) expect(legend.get(label), label).toBe(colour);
    expect(new Set(legend.values()).size).toBe(5);
    expectNoClipping(svg);
  });
  it('a chart of mode counts ticks whole numbers; a log axis ticks powers of ten; linear ticks are round', () => {
    const modes = chartsSvg([{ title: 'modes', yLabel: 'modes', series: [{ label: 'nsgan', points: [[0, 0], [500, 1], [1000, 1]] }] }], 'iterations');
    const ys = ticksOf(modes).map(value);
    expect(ys.every(Number.isInteger)).toBe(true);
    expect(ticksOf(modes)).not.toContain('0.525');
    const log = chartsSvg([{ title: 'norms', yLabel: '‖∇‖', logY: true, series: [{ label: 'G', points: [[1, 0.03], [2, 40]] }] }], 'steps');
    expect(ticksOf(log)).toEqual(expect.arrayContaining(['0.01', '0.1', '1', '10', '100']));
    const lin = chartsSvg([{ title: 'loss', yLabel: 'loss', series: [{ label: 'd', points: [[0, -0.3], [7, 0.717]] }] }], 'steps');
    const [xTicks, yTicks] = [texts(lin, 'font-size="10" text-anchor="middle"').map((t) => value(t.s)), texts(lin, 'font-size="10" text-anchor="end"').map((t) => value(t.s))];
    expectRound(xTicks);
    expectRound(yTicks);
  });
  it('density.png and critic.png: titles, axis extents, a legend of the marks and the colour scale', () => {
    manualSeed(0);
    const plots = { title: 'nsgan on ring, 400 steps, seed 1', data: randn([500, 2]), samples: randn([500, 2]).mul(0.5), critic: (x: ReturnType<typeof tensor>) => x.select(1, 0).unsqueeze(1), means: tensor([[1, 0], [-1, 0]]) };
    const { figure, range } = densityFigure(plots);
    const density = figureSvg(figure);
    for (const t of ['nsgan on ring, 400 steps, seed 1', 'data', 'generated', 'x₀', 'x₁']) expect(density).toContain(`>${t}</text>`);
    expect(density).toMatch(/>relative log density: 0<\/text>/);
    expectRound([...new Set(texts(density, 'font-size="10" text-anchor="middle"').map((t) => value(t.s)))].sort((a, b) => a - b));
    expectNoClipping(density);
    const critic = figureSvg(criticFigure(plots, range)!);
    expect(critic).toContain(">The discriminator's view: nsgan on ring, 400 steps, seed 1</text>");
    expect([...critic.matchAll(/data-legend="([^"]+)"/g)].map((m) => m[1])).toEqual(['generated samples (500)', 'modes']);
    expect(critic).toMatch(/>D's score: -?[\d.]+<\/text>/);
    expectNoClipping(critic);
  });
  it('modes-histogram.png: title, axes, the missing modes in the legend; a long row label is not cut', () => {
    const counts = new Array(1000).fill(0);
    counts[123] = 40;
    counts[7] = 3;
    const svg = figureSvg(modeHistogramFigure(counts, 'nsgan on stacked-mnist, 150 steps, seed 1: modes of 25600 samples'));
    for (const t of ['mode id', 'samples', '2 of 1000 modes generated', 'never generated (998)']) expect(svg).toContain(`>${t}</text>`);
    expectNoClipping(svg);
    const grid: Figure = { title: 'Generated densities (seed 1)', rowLabels: ['data', 'wgan-gp:lambda=10:lr=0.001'], colLabels: ['ring'], cells: [[{ panel: null }], [{ panel: null, caption: '8/8 modes' }]] };
    const g = figureSvg(grid);
    expect(g).toContain('>wgan-gp:lambda=10:lr=0.001</text>');
    expectNoClipping(g);
  });
  it("mode-grid's histogram: round whole-number ticks and a legend per method", () => {
    const svg = histogramSvg({ title: 'MODE scores over 24 settings', xLabel: 'MODE score', edges: [0, 2, 4, 6, 8, 10], series: [{ label: 'nsgan', values: [1, 3, 3, 9] }, { label: 'reg-gan', values: [5, 7, 9] }] });
    expect([...svg.matchAll(/data-legend="([^"]+)"/g)].map((m) => m[1])).toEqual(['nsgan', 'reg-gan']);
    expect(texts(svg, 'font-size="10" text-anchor="end"').map((t) => value(t.s)).every(Number.isInteger)).toBe(true);
    expectNoClipping(svg);
  });
});
