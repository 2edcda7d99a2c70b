// The benchmarks' tables: mean ± std over seeds (sample std, n − 1), markdown rows, and table.md
// with its wall time and the command that reruns one cell exactly.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The sample standard deviation (n − 1); 0 for a single value. */
export const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
/** "mean ± std", or — for no values. */
export const meanStd = (xs: number[], digits = 1) => (xs.length ? `${mean(xs).toFixed(digits)} ± ${std(xs).toFixed(digits)}` : '—');
/** One markdown table row. */
export const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/**
 * A benchmark's table.md, also logged: the table, its wall time, and how to rerun one of its cells
 * exactly (`cellConfig`, the pattern of a cell's config.json).
 */
export function writeTable(out: string, table: string, o: { wall: number; workers: number; cellConfig: string }, log: (s: string) => void): void {
  const text = [
    table,
    '',
    `Wall time: ${o.wall.toFixed(0)} s with ${o.workers} worker(s).`,
    `Rerun one cell exactly (same seed, same thread count, same CPU): gantry train --config ${o.cellConfig} --out <new folder>`,
  ].join('\n');
  writeFileSync(join(out, 'table.md'), text + '\n');
  log(`\n${text}`);
}
