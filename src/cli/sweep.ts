// `gantry sweep sweep.yaml`, `gantry sweep status DIR`, `gantry sweep report DIR` and `gantry worker`:
// searches over run configurations and seeds, on this machine or spread through a Redis queue.
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { readSweepRecord, trialStates, writeSweepRecord, type TrialState } from '../sweep/folder.js';
import { runLocalSweep } from '../sweep/local.js';
import { expandSweep, readSweepSpec, settingOf } from '../sweep/spec.js';
import { checkRungs } from '../sweep/trial.js';
import { writeSweepReport } from '../sweep/report.js';
import { parseRedisUrl, runQueueSweep, runWorker } from '../sweep/queue.js';
import { int } from './parsers.js';

const STATES: TrialState[] = ['submitted', 'running', 'done', 'failed', 'stopped-early'];

/** One line per state and one per trial. */
export function statusText(dir: string): string {
  const states = trialStates(dir);
  const count = (s: TrialState) => states.filter((x) => x.state === s).length;
  const lines = [`${dir}: ${states.length} trials: ${STATES.map((s) => `${count(s)} ${s}`).join(', ')}`];
  for (const { trial, state, result } of states) {
    const m = result?.metrics as Record<string, number> | null | undefined;
    const what = m && typeof m.modes === 'number' ? ` at step ${result!.step}: ${m.modes}/${m.modes_max} modes${typeof m.high_quality === 'number' ? `, ${(100 * m.high_quality).toFixed(1)} % HQ` : ''}` : result?.error ? `: ${result.error}` : '';
    lines.push(`  ${trial.id}  ${state.padEnd(13)} ${settingOf(trial)} seed ${trial.seed}${what}`);
  }
  return lines.join('\n');
}

export function addSweepCommands(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('a grid or random search over run configurations and seeds (sweep.yaml), with early stopping; status and report of a sweep folder')
    .argument('[file]', 'the sweep file (YAML or JSON)')
    .option('--out <dir>', 'the sweep folder (default: sweeps/<file name>)')
    .option('--workers <n>', 'trials at once on this machine', int('--workers'), 2)
    .option('--max-trials <n>', 'refuse a sweep that expands to more trials', int('--max-trials'), 1000)
    .option('--continue-stopped', 'continue the trials early stopping ended, to their full budget')
    .option('--queue <url>', 'spread the trials over `gantry worker --queue <url>` on any number of machines (BullMQ on Redis: redis://host:port); the sweep folder must be on a path they share')
    .action(async (file: string | undefined, o: { out?: string; workers: number; maxTrials: number; continueStopped?: boolean; queue?: string }) => {
      if (!file) return void sweep.help({ error: true });
      if (o.workers < 1) throw new Error(`invalid --workers: must be at least 1, got ${o.workers}`);
      const spec = readSweepSpec(file);
      const trials = expandSweep(spec, o.maxTrials);
      if (spec.early_stopping) checkRungs(spec.early_stopping, trials);
      const dir = o.out ?? join('sweeps', spec.name ?? basename(file, extname(file)));
      writeSweepRecord(dir, spec, trials);
      if (o.queue) {
        if (o.continueStopped) throw new Error('invalid --continue-stopped with --queue: continue the stopped trials on this machine (without --queue)');
        parseRedisUrl(o.queue);
        console.error(`gantry sweep: ${trials.length} trials in ${dir}, through the queue ${o.queue} (start workers: gantry worker --queue ${o.queue})`);
        await runQueueSweep({ url: o.queue, dir, trials, earlyStopping: spec.early_stopping, log: (s) => console.error(`gantry sweep: ${s}`) });
        return void console.log(statusText(dir));
      }
      console.error(`gantry sweep: ${trials.length} trials in ${dir} (${o.workers} at once on this machine)`);
      const { stopped } = await runLocalSweep({ dir, trials, earlyStopping: spec.early_stopping, workers: o.workers, continueStopped: o.continueStopped, log: (s) => console.error(`gantry sweep: ${s}`) });
      console.log(statusText(dir));
      if (stopped) {
        console.error(`gantry sweep: stopped by ${stopped}; the running trials are checkpointed. The same command continues them.`);
        process.exitCode = stopped === 'SIGINT' ? 130 : 143;
      }
    });

  sweep
    .command('status')
    .argument('<dir>', 'a sweep folder')
    .description('each trial: submitted, running, done, failed or stopped-early')
    .option('--json', 'one JSON line per trial')
    .action((dir: string, o: { json?: boolean }) => {
      readSweepRecord(dir);
      if (o.json) for (const s of trialStates(dir)) console.log(JSON.stringify({ id: s.trial.id, point: s.trial.point, seed: s.trial.seed, state: s.state, step: s.result?.step ?? null, metrics: s.result?.metrics ?? null }));
      else console.log(statusText(dir));
    });

  sweep
    .command('report')
    .argument('<dir>', 'a sweep folder')
    .description('per setting mean ± std over seeds, the best settings on a metric, its distribution at each value of every axis: report.md, report.json, histograms, report.html')
    .option('--metric <name>', "the metric that ranks the settings: a field of the evaluation (modes, high_quality, reverse_kl, kl…), coverage or score (default: early stopping's, or score)")
    .option('--mode <m>', 'max or min (default: early stopping\'s, or max)')
    .option('--top <n>', 'best settings listed', int('--top'), 10)
    .option('--across <axis>', 'also rank the settings combined over one axis (e.g. dataset.name: one configuration for every dataset)')
    .action((dir: string, o: { metric?: string; mode?: string; top: number; across?: string }) => {
      const { spec } = readSweepRecord(dir);
      const mode = o.mode ?? spec.early_stopping?.mode ?? 'max';
      if (mode !== 'max' && mode !== 'min') throw new Error(`invalid --mode ${mode}: max or min`);
      console.log(writeSweepReport(dir, { metric: o.metric ?? spec.early_stopping?.metric ?? 'score', mode, top: o.top, across: o.across }));
      console.error(`gantry sweep report: wrote ${dir}/report.md, report.json, report.html and the histograms`);
    });
}

export function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('take sweep trials from a queue and train them here, each in a child process, until Ctrl-C (the running trials checkpoint and go back on the queue)')
    .requiredOption('--queue <url>', 'the queue the sweep was started with: redis://host:port')
    .option('--concurrency <n>', 'trials at once on this machine', int('--concurrency'), 1)
    .option('--threads <n>', 'libtorch threads per trial (default: GANTRY_THREADS or 2, divided by --concurrency)', int('--threads'))
    .option('--out <dir>', "this machine's copy of the sweep folder, when it does not share the sweep's path (results travel back with the jobs)")
    .option('--lock-ms <n>', "BullMQ's job lock: a killed worker's trial goes to another worker after about this long", int('--lock-ms'), 30000)
    .action(async (o: { queue: string; concurrency: number; threads?: number; out?: string; lockMs: number }) => {
      if (o.concurrency < 1) throw new Error(`invalid --concurrency: must be at least 1, got ${o.concurrency}`);
      parseRedisUrl(o.queue);
      const threads = o.threads ?? Math.max(1, Math.floor((Number(process.env.GANTRY_THREADS) || 2) / o.concurrency));
      const log = (s: string) => console.error(`gantry worker: ${s}`);
      log(`taking trials from ${o.queue} (${o.concurrency} at once, ${threads} thread(s) each)`);
      const { done } = await runWorker({ url: o.queue, concurrency: o.concurrency, threads, out: o.out, lockMs: o.lockMs, log });
      const why = await done;
      if (why.startsWith('refused')) process.exitCode = 1;
    });
}
