// `gantry sweep report DIR`: what a sweep found. Per setting (the trials of one point, over seeds):
// mean ± std of the final metrics of the trials that ran to the end, and how many early stopping
// ended; the best settings on a metric; and, for every axis with several values, the distribution
// of that metric over the trials at each value (Mode-regularized GANs' Figure 3 as a histogram:
// modes with and without the regularizer). Written as report.md, report.json, one histogram PNG per
// axis and report.html (the live view's page over every trial's run folder).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeHistogram } from '../report/chart.js';
import { writeHtmlReport } from '../report/html.js';
import { mean, meanStd, row, std } from '../report/table.js';
import { writeFileAtomic } from '../torch/index.js';
import { readSweepRecord, trialDir, trialStates, type TrialResult } from './folder.js';
import { settingOf, type Trial } from './spec.js';
import { metricOf } from './trial.js';

export interface SettingSummary {
  setting: string;
  point: Trial['point'];
  trials: number;
  done: number;
  stoppedEarly: number;
  failed: number;
  /** Over the trials that ran to the end: mean and std of each metric. */
  metrics: Record<string, { mean: number; std: number; n: number }>;
}

const METRICS = ['modes', 'high_quality', 'reverse_kl', 'kl', 'coverage', 'score'];

export function summarizeSweep(dir: string): SettingSummary[] {
  const states = trialStates(dir);
  const groups = new Map<string, typeof states>();
  for (const s of states) groups.set(settingOf(s.trial), [...(groups.get(settingOf(s.trial)) ?? []), s]);
  return [...groups].map(([setting, ss]) => {
    const done = ss.filter((s) => s.state === 'done' && s.result?.metrics);
    const metrics: SettingSummary['metrics'] = {};
    for (const m of METRICS) {
      const v = done.map((s) => metricOf(s.result!.metrics!, m)).filter(Number.isFinite);
      if (v.length) metrics[m] = { mean: mean(v), std: std(v), n: v.length };
    }
    return { setting, point: ss[0].trial.point, trials: ss.length, done: done.length, stoppedEarly: ss.filter((s) => s.state === 'stopped-early').length, failed: ss.filter((s) => s.state === 'failed').length, metrics };
  });
}

export interface SweepReportOptions {
  metric: string;
  mode: 'max' | 'min';
  /** Best settings listed. */
  top: number;
  /**
   * An axis (e.g. dataset.name) to combine over: settings that differ only in it are one row, its
   * score the mean over the axis's values of the per-value means (a setting missing a value has none).
   */
  across?: string;
}

/** Writes report.md, report.json, the histograms and report.html into the sweep folder; returns the markdown. */
export function writeSweepReport(dir: string, o: SweepReportOptions): string {
  const record = readSweepRecord(dir);
  const settings = summarizeSweep(dir);
  const states = trialStates(dir);
  const fmt = (s: SettingSummary, m: string, digits: number, scale = 1) => (s.metrics[m] ? `${(scale * s.metrics[m].mean).toFixed(digits)} ± ${(scale * s.metrics[m].std).toFixed(digits)}` : '—');
  const lines = [
    `# Sweep ${record.spec.name ?? dir}`,
    '',
    `${record.trials.length} trials, ${settings.length} settings; made with gantry ${record.versions.gantry}, libtorch ${record.versions.libtorch}, ${record.created}. Metrics are the final evaluation's, mean ± std over the seeds that ran to the end (early stopping's are counted apart).`,
    '',
    row(['setting', 'trials', 'done', 'stopped early', 'failed', 'modes', '% HQ', 'reverse KL / KL', 'score']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...settings.map((s) => row([s.setting, s.trials, s.done, s.stoppedEarly, s.failed, fmt(s, 'modes', 1), fmt(s, 'high_quality', 1, 100), s.metrics.reverse_kl ? fmt(s, 'reverse_kl', 3) : fmt(s, 'kl', 3), fmt(s, 'score', 3)])),
  ];
  const sign = o.mode === 'max' ? -1 : 1;
  const ranked = settings.filter((s) => s.metrics[o.metric]).sort((a, b) => sign * (a.metrics[o.metric].mean - b.metrics[o.metric].mean));
  lines.push('', `## Best settings on ${o.metric} (${o.mode})`, '', row(['rank', 'setting', `${o.metric} (mean ± std)`, 'seeds']), row(['---:', '---', '---:', '---:']));
  ranked.slice(0, o.top).forEach((s, i) => lines.push(row([i + 1, s.setting, `${s.metrics[o.metric].mean.toFixed(4)} ± ${s.metrics[o.metric].std.toFixed(4)}`, s.metrics[o.metric].n])));
  let combined: { setting: string; perValue: Record<string, { mean: number; std: number; n: number } | null>; score: number | null }[] = [];
  if (o.across) {
    const values = [...new Set(record.trials.map((t) => String(t.point[o.across!])))];
    if (values.length < 2 || values[0] === 'undefined') throw new Error(`invalid --across ${o.across}: not an axis of this sweep with several values (its axes: ${Object.keys(record.trials[0]?.point ?? {}).join(', ')})`);
    const rest = (p: Trial['point']) => settingOf({ point: Object.fromEntries(Object.entries(p).filter(([k]) => k !== o.across)) });
    const keys = [...new Set(settings.map((s) => rest(s.point)))];
    combined = keys.map((k) => {
      const perValue = Object.fromEntries(values.map((v) => [v, settings.find((s) => rest(s.point) === k && String(s.point[o.across!]) === v)?.metrics[o.metric] ?? null]));
      const all = Object.values(perValue);
      return { setting: k, perValue, score: all.every((x) => x) ? all.reduce((a, x) => a + x!.mean, 0) / all.length : null };
    });
    combined.sort((a, b) => (a.score === null ? 1 : b.score === null ? -1 : sign * (a.score - b.score)));
    lines.push('', `## Across ${o.across}: ${o.metric} per value and their mean`, '', row(['rank', 'setting', ...values, 'mean']), row(['---:', '---', ...values.map(() => '---:'), '---:']));
    combined.forEach((c, i) => lines.push(row([i + 1, c.setting, ...values.map((v) => (c.perValue[v] ? `${c.perValue[v]!.mean.toFixed(3)} ± ${c.perValue[v]!.std.toFixed(3)} (${c.perValue[v]!.n})` : '—')), c.score === null ? '—' : c.score.toFixed(4)])));
  }
  // Axes with several values: the metric's distribution over the trials at each value.
  const figures: string[] = [];
  const axes = Object.keys(Object.assign({}, ...record.trials.map((t) => t.point)));
  for (const axis of axes) {
    const values = [...new Set(record.trials.map((t) => String(t.point[axis])))];
    if (values.length < 2) continue;
    const series = values.map((v) => ({
      label: `${axis}=${v}`,
      values: states.filter((s) => String(s.trial.point[axis]) === v && s.state === 'done' && s.result?.metrics).map((s) => metricOf(s.result!.metrics as Record<string, unknown>, o.metric)).filter(Number.isFinite),
    }));
    const all = series.flatMap((s) => s.values);
    if (!all.length) continue;
    const [lo, hi] = [Math.min(...all), Math.max(...all)];
    const bins = 10;
    const width = hi > lo ? (hi - lo) / bins : 1;
    const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
    const file = `histogram-${axis.replace(/[^\w.-]/g, '_')}.png`;
    writeHistogram(join(dir, file), { title: `${o.metric} of the trials at each ${axis}`, xLabel: o.metric, yLabel: 'trials', edges, series });
    figures.push(file);
    lines.push('', `## ${o.metric} by ${axis}`, '', `![${o.metric} by ${axis}](${file})`, '', ...series.map((s) => `- ${s.label}: ${s.values.length} trials, ${s.values.length ? meanStd(s.values, 4) : '—'}`));
  }
  const md = lines.join('\n') + '\n';
  writeFileAtomic(join(dir, 'report.md'), md);
  const results: Record<string, TrialResult | null> = Object.fromEntries(states.map((s) => [s.trial.id, s.result]));
  writeFileAtomic(join(dir, 'report.json'), JSON.stringify({ settings, best: ranked.slice(0, o.top).map((s) => s.setting), combined, metric: o.metric, mode: o.mode, figures, results }, null, 2) + '\n');
  const runs = record.trials.map((t) => relative(dir, trialDir(dir, t))).filter((r) => existsSync(join(dir, r, 'config.json')));
  if (runs.length) writeHtmlReport(join(dir, 'report.html'), dir, runs);
  return md;
}
