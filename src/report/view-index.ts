// What a run folder has for the live view and report.html to show, read in one place for both: the
// view snapshots' steps with each one's mode shares (the coverage strip needs them all at once),
// image runs' evaluation views (the strip's columns and the mode gallery), and the steps of the
// sample grids and lensed images. A half-written file is skipped and counted, never fatal.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Step-numbered files of a run folder (seven digits, so they sort by name), written by src/train and read here. */
const pad7 = (step: number) => String(step).padStart(7, '0');
export const STEP_FILES = {
  /** Images: the fixed-z sample grid of an evaluation. */
  grid: (step: number) => `samples-step${pad7(step)}.png`,
  /** Real images and a method's view of them (the lens: `lensed`). */
  view: (name: string, step: number) => `${name}-step${pad7(step)}.png`,
  /** In view/: a live-view snapshot, an image run's evaluation view and its mode gallery. */
  snapshot: (step: number) => `step-${pad7(step)}.json`,
  evalView: (step: number) => `eval-${pad7(step)}.json`,
  gallery: (step: number) => `gallery-${pad7(step)}.png`,
};

/** view/eval-NNNNNNN.json: an image run's evaluation, for the coverage strip and the mode gallery. */
export interface ImageEvalView {
  step: number;
  /** The evaluation's share of its samples at each mode (histogram / n). */
  modeShares: number[];
  /**
   * view/gallery-NNNNNNN.png: one row per listed mode (most frequent first), up to `perMode` of the
   * fixed codes' samples the counting classifier reads as that mode; `counts` of the `codes` were.
   */
  gallery: { modes: number[]; counts: number[]; codes: number; perMode: number; tile: [number, number]; pad: number };
}

export interface ViewIndex {
  /** Steps of the 2D view snapshots (points runs), and each one's mode shares. */
  steps: number[];
  shares: (number[] | null)[];
  /** Image runs: steps of the fixed-z sample grids, of the lensed views, and the evaluation views. */
  grids: number[];
  lensed: number[];
  evals: ImageEvalView[];
  histogram: boolean;
  /** Files that could not be read (being written). */
  skipped: number;
  /** The snapshot files the index lists (for report.html to inline). */
  files: string[];
}

const readJson = <T>(path: string): T | null => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
};

/**
 * The index of a run folder's views. `maxSnapshots` thins the 2D snapshots evenly (the last always
 * kept), for a report that must stay small; the page gets them all.
 */
export function viewIndex(dir: string, o: { maxSnapshots?: number } = {}): ViewIndex {
  const view = join(dir, 'view');
  const inView = existsSync(view) ? readdirSync(view).sort() : [];
  let files = inView.filter((f) => /^step-\d+\.json$/.test(f));
  const max = o.maxSnapshots ?? Infinity;
  if (files.length > max) files = files.filter((_, i) => i === files.length - 1 || i % Math.ceil(files.length / max) === 0);
  const index: ViewIndex = { steps: [], shares: [], grids: [], lensed: [], evals: [], histogram: false, skipped: 0, files: [] };
  for (const f of files) {
    const snap = readJson<{ step: number; modeShares?: number[] }>(join(view, f));
    if (!snap) {
      index.skipped++;
      continue;
    }
    index.steps.push(snap.step);
    index.shares.push(snap.modeShares ?? null);
    index.files.push(f);
  }
  for (const f of inView.filter((f) => /^eval-\d+\.json$/.test(f))) {
    const ev = readJson<ImageEvalView>(join(view, f));
    if (ev) index.evals.push(ev);
    else index.skipped++;
  }
  const all = readdirSync(dir);
  const stepsOf = (re: RegExp) => all.filter((f) => re.test(f)).map((f) => Number(/(\d+)\.png$/.exec(f)![1])).sort((a, b) => a - b);
  index.grids = stepsOf(/^samples-step\d+\.png$/);
  index.lensed = stepsOf(/^lensed-step\d+\.png$/);
  index.histogram = all.includes('modes-histogram.png');
  return index;
}
