// What the live view draws, written by the trainer's side as small files in the run folder (the
// run folder stays the one source of truth; `gantry serve` only reads them): every `viewEvery`
// steps a snapshot view/step-NNNNNNN.json of the generator's samples from fixed latent codes, the
// share of them at each known mode (high quality only), and for 2D points the discriminator's heat
// map, G's manifold (a latent grid warped through G) and G's gradient arrows (−∇x of G's loss at its
// samples, as D pushes them). Higher-dimensional points are drawn in a fixed 2D projection (PCA of
// the data). Images with digit modes get, at every evaluation, the evaluation's share of samples at
// each mode (the coverage strip) and a gallery: fixed-code samples grouped by the mode the counting
// classifier reads in them, so a click on a mode shows what G makes of it at that step.
// Nothing here draws from torch's generator, so a run trains the same with or without it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadEvaluator } from '../evaluator/mnist-cnn.js';
import type { Method } from '../methods/index.js';
import { readDigits, type DigitModeReport } from '../metrics/digits.js';
import { assignModes } from '../metrics/modes.js';
import { imageGrid } from '../report/images.js';
import { writePng } from '../report/raster.js';
import { STEP_FILES, type ImageEvalView } from '../report/view-index.js';
import { cat, eigh, gaussian, grad, keep, linspace, mulberry32, noGrad, ones, scope, stack, tensor, withSeed, writeFileAtomic, type Tensor } from '../torch/index.js';
import type { Run } from './config.js';

export const VIEW_DIR = 'view';
export const viewFile = STEP_FILES.snapshot;
/** Images: view/eval-NNNNNNN.json (report/view-index.ts's ImageEvalView) and its gallery view/gallery-NNNNNNN.png. */
export const evalViewFile = STEP_FILES.evalView;
export const galleryFile = STEP_FILES.gallery;

/** view/data.json: what does not change during a run. */
export interface ViewData {
  /** 'identity' for 2D points, 'pca' above. */
  projection: 'identity' | 'pca';
  dim: number;
  /** The square [x0, x1, y0, y1] the 2D layers cover. */
  range: [number, number, number, number];
  /** Real samples, projected. */
  data: number[][];
  /** Mode centres, projected (absent without known modes). */
  means?: number[][];
}

/** view/step-NNNNNNN.json */
export interface ViewSnapshot {
  step: number;
  /** G's samples from the fixed codes, projected. */
  samples: number[][];
  /** Share of the samples that are high quality at each mode. */
  modeShares?: number[];
  /** D's score on a size × size grid over the range, row 0 at the top (2D points only). */
  heat?: { size: number; values: number[] };
  /** G on a latent grid: rows of points (2D points only). */
  manifold?: number[][][];
  /** [x, y, dx, dy] at some samples: the direction G's update moves them (2D points only). */
  arrows?: number[][];
}

const SAMPLES = 512;
const GALLERY_CODES = 256;
const GALLERY_MODES = 64;
const GALLERY_PER_MODE = 8;
const HEAT = 48;
const GRID = 13;
const ARROWS = 96;
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
const rows = (t: Tensor) => {
  const [n, d] = t.shape;
  const v = t.toNumbers();
  return Array.from({ length: n }, (_, i) => v.slice(i * d, (i + 1) * d).map(r4));
};

/** The view writer of a points run, or null for data it cannot draw (images: their sample grids are the view). */
export function viewWriter(run: Run, dir: string): ((step: number) => void) | null {
  const shape = run.data.shape;
  // 1-D points have no plane to draw (and no second principal axis).
  if (shape.kind !== 'points' || shape.dim < 2) return null;
  const method: Method = run.method;
  const twoD = shape.dim === 2;
  // A fixed real sample and, above 2D, the projection onto the data's first two principal axes.
  const { data, project, range } = scope(() =>
    withSeed(run.config.seed * 104_729 + 17, () =>
      noGrad(() => {
        const x = run.data.sampler.sample(2000).to('float64');
        let project = (t: Tensor) => t;
        if (!twoD) {
          const mean = x.mean(0, true);
          const c = x.sub(mean);
          const { eigenvectors } = eigh(c.T.matmul(c).div(x.shape[0] - 1));
          // eigh sorts ascending: the last two columns, largest first.
          const axes = eigenvectors.indexSelect(1, tensor([shape.dim - 1, shape.dim - 2], { dtype: 'int64' })).to('float32');
          const [m, a] = keep([mean.to('float32'), axes]);
          project = (t: Tensor) => t.sub(m).matmul(a);
        }
        const p = rows(project(x.to('float32')).narrow(0, 0, 1000));
        const xs = p.map((q) => q[0]);
        const ys = p.map((q) => q[1]);
        const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
        const half = (Math.max(x1 - x0, y1 - y0) / 2) * 1.3 || 1;
        const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
        return { data: p, project, range: [r4(cx - half), r4(cx + half), r4(cy - half), r4(cy + half)] as ViewData['range'] };
      }),
    ),
  );
  const target = run.data.target;
  const info: ViewData = { projection: twoD ? 'identity' : 'pca', dim: shape.dim, range, data, means: target ? scope(() => noGrad(() => rows(project(target.means.to('float32'))))) : undefined };
  mkdirSync(join(dir, VIEW_DIR), { recursive: true });
  writeFileAtomic(join(dir, VIEW_DIR, 'data.json'), JSON.stringify(info));
  const z = fixedCodes(method, SAMPLES);
  const grid = latentGrid(method, GRID);
  return (step: number) =>
    scope(() => {
      const G = method.Gema ?? method.G;
      G.eval();
      const x = noGrad(() => G.forward(z));
      const snap: ViewSnapshot = { step, samples: rows(noGrad(() => project(x))) };
      if (target) {
        const { nearest, highQuality } = assignModes(x, target);
        const counts = new Array(target.weights.length).fill(0);
        nearest.forEach((k, i) => highQuality[i] && counts[k]++);
        snap.modeShares = counts.map((c) => r4(c / SAMPLES));
      }
      if (twoD) {
        const [x0, x1, y0, y1] = range;
        const pts = stack([linspace(x0, x1, HEAT).view(1, -1).expand(HEAT, HEAT), linspace(y1, y0, HEAT).view(-1, 1).expand(HEAT, HEAT)], 2).reshape(-1, 2);
        const heat = noGrad(() => method.critic(pts));
        if (heat) snap.heat = { size: HEAT, values: heat.toNumbers().map(r4) };
        snap.manifold = rows(noGrad(() => G.forward(grid))).reduce<number[][][]>((acc, p, i) => (i % GRID === 0 ? acc.push([p]) : acc[acc.length - 1].push(p), acc), []);
        const at = x.narrow(0, 0, ARROWS).detach().requiresGrad_(true);
        const score = method.critic(at);
        if (score) {
          // D's score rises along its gradient: where G's update pushes its samples.
          const [g] = grad(score.sum(), at);
          const a = rows(at.detach());
          const d = rows(g!);
          snap.arrows = a.map((p, i) => [p[0], p[1], d[i][0], d[i][1]]);
        }
      }
      G.train();
      writeFileAtomic(join(dir, VIEW_DIR, viewFile(step)), JSON.stringify(snap));
    });
}

/** n fixed latent codes from a JavaScript PRNG (torch's stream untouched), kept for the run. */
function fixedCodes(method: Method, n: number): Tensor {
  const rng = mulberry32(0x5eed);
  const d = method.protocol.latentDim;
  const v = new Float32Array(n * d);
  for (let i = 0; i < v.length; i++) v[i] = method.protocol.prior === 'uniform' ? 2 * rng() - 1 : gaussian(rng);
  return keep(tensor(v, { shape: [n, d] }));
}

/** A GRID × GRID grid over the first two latent coordinates (±2.5 for a normal prior, ±1 uniform), the rest 0. */
function latentGrid(method: Method, n: number): Tensor {
  const d = method.protocol.latentDim;
  const s = method.protocol.prior === 'uniform' ? 1 : 2.5;
  const v = new Float32Array(n * n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    v[(i * n + j) * d] = -s + (2 * s * j) / (n - 1);
    if (d > 1) v[(i * n + j) * d + 1] = s - (2 * s * i) / (n - 1);
  }
  return keep(tensor(v, { shape: [n * n, d] }));
}

/** The evaluation view of an image run with digit modes, or null (points; images without modes). */
export function imageViewWriter(run: Run, dir: string): ((step: number, report: DigitModeReport) => void) | null {
  const digits = run.data.digits;
  if (run.data.shape.kind !== 'image' || !digits) return null;
  const method: Method = run.method;
  const z = fixedCodes(method, GALLERY_CODES);
  mkdirSync(join(dir, VIEW_DIR), { recursive: true });
  return (step, report) =>
    scope(() => {
      const G = method.Gema ?? method.G;
      G.eval();
      const x = noGrad(() => G.forward(z));
      G.train();
      const { ids } = readDigits(loadEvaluator('mnist'), x, digits.layout);
      const byMode = new Map<number, number[]>();
      ids.forEach((id, i) => byMode.set(id, [...(byMode.get(id) ?? []), i]));
      const modes = [...byMode.keys()].sort((a, b) => byMode.get(b)!.length - byMode.get(a)!.length || a - b).slice(0, GALLERY_MODES);
      const [, c, h, w] = x.shape;
      // Rows of perMode tiles, short rows filled with white (the grid's background).
      const blank = ones([1, c, h, w]);
      const tiles = modes.flatMap((m) => {
        const at = byMode.get(m)!.slice(0, GALLERY_PER_MODE).map((i) => x.narrow(0, i, 1));
        return [...at, ...new Array(GALLERY_PER_MODE - at.length).fill(blank)];
      });
      const view: ImageEvalView = {
        step,
        modeShares: report.histogram.map((k) => r4(k / report.n)),
        gallery: { modes, counts: modes.map((m) => byMode.get(m)!.length), codes: GALLERY_CODES, perMode: GALLERY_PER_MODE, tile: [h, w], pad: 2 },
      };
      if (tiles.length) writePng(join(dir, VIEW_DIR, galleryFile(step)), imageGrid(cat(tiles, 0), GALLERY_PER_MODE, 2));
      writeFileAtomic(join(dir, VIEW_DIR, evalViewFile(step)), JSON.stringify(view));
    });
}
