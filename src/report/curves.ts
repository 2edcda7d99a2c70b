// A run's curves, from its metrics.jsonl lines (so a resumed run draws its whole history): the
// losses, the gradient norms on a log scale and, for the lens, its weight λ and reconstruction error.
import { writeCharts } from './chart.js';

export function writeRunCurves(lines: { step: number; losses?: Record<string, number> }[], paths: { losses: string; lens: string }): void {
  const byKey: Record<string, [number, number][]> = {};
  for (const line of lines) {
    for (const [k, v] of Object.entries(line.losses ?? {})) if (Number.isFinite(v)) (byKey[k] ??= []).push([line.step, v]);
  }
  const keys = Object.keys(byKey);
  if (!keys.length) return;
  const series = (pick: (k: string) => boolean) => keys.filter(pick).map((k) => ({ label: k, points: byKey[k] }));
  const lens = (k: string) => k === 'lambda' || k === 'lens_rec';
  writeCharts(
    paths.losses,
    [
      { title: 'losses', yLabel: 'loss', series: series((k) => !k.startsWith('grad_norm_') && !lens(k)) },
      { title: 'gradient norms', yLabel: '‖∇‖', series: series((k) => k.startsWith('grad_norm_')), logY: true },
    ],
    'generator steps',
  );
  if (byKey.lambda) {
    writeCharts(
      paths.lens,
      [
        { title: 'lens weight λ = 1 − sin(tπ/2K)', yLabel: 'λ', series: [{ label: 'λ', points: byKey.lambda }] },
        { title: 'lens reconstruction ‖x − L(x)‖²', yLabel: 'per sample', series: [{ label: 'reconstruction', points: byKey.lens_rec ?? [] }] },
      ],
      'generator steps',
    );
  }
}
