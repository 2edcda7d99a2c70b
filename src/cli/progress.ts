// The training progress display: a cli-progress bar on a terminal, a line per evaluation otherwise.
import cliProgress from 'cli-progress';
import type { Run } from '../train/config.js';

/** Shows the run's progress; the returned function puts the terminal back (cursor, line wrap). */
export function attachProgress(run: Run): () => void {
  const { trainer } = run;
  const tty = process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { format: 'step {value}/{total} |{bar}| {rate} steps/s | ETA {eta_formatted} | {losses} | modes {modes} HQ {hq}', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  let modes = '-';
  let hq = '-';
  let started = false;
  const fmt = (l: Record<string, number>) => Object.entries(l).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
  let first = -1; // a resumed run starts part-way: its rate counts the steps done in this process
  trainer.on('step', ({ step, steps, losses }) => {
    if (first < 0) first = step - 1;
    const rate = ((step - first) / ((performance.now() - t0) / 1000)).toFixed(0);
    if (tty) {
      if (!started) bar.start(steps, 0, { rate, losses: '', modes, hq });
      started = true;
      if (step % 10 === 0 || step === steps) bar.update(step, { rate, losses: fmt(losses), modes, hq });
    }
  });
  trainer.on('eval', ({ step, report }) => {
    if (report) {
      modes = `${report.modes}/${report.modes_max}`;
      hq = 'high_quality' in report ? `${(100 * report.high_quality).toFixed(1)}%` : `KL ${report.kl.toFixed(2)}`;
    }
    if (!tty) console.error(`step ${step}: modes ${modes}, HQ ${hq}, ${((step - Math.max(first, 0)) / ((performance.now() - t0) / 1000)).toFixed(0)} steps/s`);
  });
  const close = () => {
    if (tty && started) bar.stop();
    started = false;
  };
  trainer.on('checkpoint', ({ final }) => final && close());
  trainer.on('stopped', close);
  trainer.on('diverged', ({ step }) => {
    if (!tty) console.error(`step ${step}: losses not finite`);
  });
  return close;
}
