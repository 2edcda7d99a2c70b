// Axis ticks a reader can read: round values (1, 2 or 5 × 10^k apart), whole numbers where the data
// are counts, powers of ten on log axes, printed without float noise (0.3, not 0.30000000000000004).

/** About `target` evenly spaced round ticks covering [lo, hi]; the axis should run from the first to the last. */
export function niceTicks(lo: number, hi: number, o: { target?: number; integer?: boolean } = {}): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi <= lo) hi = lo + (o.integer ? 1 : Math.abs(lo) || 1);
  const raw = (hi - lo) / (o.target ?? 5);
  const p = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  if (o.integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9 || ticks.length < 2; v += step) ticks.push(clean(v));
  if (ticks[ticks.length - 1] < hi - step * 1e-9) ticks.push(clean(ticks[ticks.length - 1] + step));
  return ticks;
}

/** Powers of ten covering [lo, hi] (both > 0) for a log axis. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  return Array.from({ length: b - a + 1 }, (_, i) => 10 ** (a + i));
}

/** A value rounded to 12 significant digits, so repeated additions print as the round number they are. */
const clean = (v: number) => (v === 0 ? 0 : +v.toPrecision(12));

/** A tick's text: 1.5k for thousands, 1e-4 for small powers, otherwise the shortest exact form. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e');
  if (a >= 1000) return `${+(v / 1000).toPrecision(6)}k`;
  return `${+v.toPrecision(6)}`;
}

/** Round ticks inside [lo, hi] (a panel's fixed extents), at least three of them. */
export function ticksInside(lo: number, hi: number): number[] {
  let inside: number[] = [];
  for (let target = 4; target <= 12 && inside.length < 3; target++) inside = niceTicks(lo, hi, { target }).filter((v) => v >= lo && v <= hi);
  return inside;
}
