// `gantry alarms ROOT`: how good the collapse alarms are on finished runs. Every run folder under ROOT
// (a benchmark's runs/, say) has its metrics.jsonl replayed through the alarm rules, as training
// would have heard it, and is put on one side of the table by how it ended: every mode found, or
// some missing. Alarms on the first side are false alarms; on the second, collapses caught.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runFoldersUnder } from '../report/html.js';
import { row } from '../report/table.js';
import { ALARM_DEFAULTS, CollapseWatch, replayMetrics, type Alarm, type AlarmOptions } from '../train/alarms.js';
import { readFinal, readMetrics, readRunConfig } from '../train/run-files.js';

export interface AlarmOutcome {
  path: string;
  method: string;
  dataset: string;
  seed: number;
  modes: number;
  modesMax: number;
  /** Evaluations in metrics.jsonl: the rules need a few (grace, window) before they can speak. */
  evaluations: number;
  alarms: Alarm[];
}

/** The finished runs under `root` with known modes, each replayed through the rules. */
export function replayAlarms(root: string, o: AlarmOptions = ALARM_DEFAULTS): AlarmOutcome[] {
  const out: AlarmOutcome[] = [];
  for (const path of runFoldersUnder(root)) {
    const dir = join(root, path);
    if (!existsSync(join(dir, 'final.json'))) continue;
    const { report } = readFinal(dir);
    if (!report) continue;
    const config = readRunConfig(dir);
    const alarms: Alarm[] = [];
    const watch = new CollapseWatch(o, (a) => alarms.push(a));
    const lines = readMetrics(dir);
    replayMetrics(watch, lines, config.logEvery ?? 100);
    out.push({ path, method: config.method, dataset: String(config.dataset?.name ?? config.dataset?.data ?? '?'), seed: config.seed ?? 1, modes: report.modes, modesMax: report.modes_max, evaluations: lines.filter((l) => 'modes' in l).length, alarms });
  }
  return out;
}

/** The table: per dataset and method, alarmed runs among those that ended with every mode and with modes missing. */
export function alarmTable(outcomes: AlarmOutcome[]): string {
  const key = (r: AlarmOutcome) => `${r.dataset}\u0000${r.method}`;
  const groups = new Map<string, AlarmOutcome[]>();
  for (const r of outcomes) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const cell = (rs: AlarmOutcome[]) => (rs.length ? `${rs.filter((r) => r.alarms.length).length} / ${rs.length}` : '—');
  const rules = (rs: AlarmOutcome[]) => [...new Set(rs.flatMap((r) => r.alarms.map((a) => a.rule)))].sort().join(', ') || '—';
  const all = (rs: AlarmOutcome[]) => rs.filter((r) => r.modes === r.modesMax);
  const missing = (rs: AlarmOutcome[]) => rs.filter((r) => r.modes < r.modesMax);
  const lines = [
    row(['data', 'method', 'runs', 'ended with every mode: alarmed (false alarms)', 'ended with modes missing: alarmed (caught)', 'rules that fired']),
    row(['---', '---', '---:', '---:', '---:', '---']),
  ];
  for (const rs of [...groups.values()].sort((a, b) => key(a[0]).localeCompare(key(b[0])))) {
    lines.push(row([rs[0].dataset, rs[0].method, rs.length, cell(all(rs)), cell(missing(rs)), rules(rs)]));
  }
  lines.push(row(['**all**', '', outcomes.length, `**${cell(all(outcomes))}**`, `**${cell(missing(outcomes))}**`, rules(outcomes)]));
  return lines.join('\n');
}
