// `npm run perf:profile -- w4`: where one step of an engine workload goes, op by op. Runs the
// workload under libtorch's profiler and prints each op's self time (its own, less the ops it
// called) in ms a step, largest first, as JSON lines; the Chrome trace stays in --trace.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { manualSeed, profile } from '../src/torch/index.js';
import { positiveInt } from './options.js';
import { isWorkload, STEPS_PER_REP } from './steps.js';
import { WORKLOADS } from './workloads.js';
import { selfTimes, type TraceEvent } from './trace.js';

const program = new Command('perf:profile')
  .argument('<workload>', `one of ${Object.keys(STEPS_PER_REP).join(', ')}`)
  .option('--steps <n>', 'steps profiled, after 5 unprofiled ones', positiveInt('--steps'), 20)
  .option('--trace <file>', 'where the Chrome trace goes', 'profile-trace.json')
  .option('--top <n>', 'ops printed', positiveInt('--top'), 30)
  .action((workload: string, o: { steps: number; trace: string; top: number }) => {
    if (!isWorkload(workload)) return program.error(`unknown workload '${workload}': use one of ${Object.keys(STEPS_PER_REP).join(', ')}`);
    manualSeed(0);
    const w = WORKLOADS[workload]();
    for (let i = 0; i < 5; i++) w.step();
    const t0 = performance.now();
    profile(o.trace, () => {
      for (let i = 0; i < o.steps; i++) w.step();
    });
    const wall = (performance.now() - t0) / o.steps;
    const times = selfTimes(JSON.parse(readFileSync(o.trace, 'utf8')) as TraceEvent[]);
    const rows = [...times].sort((a, b) => b[1].us - a[1].us);
    const total = rows.reduce((a, [, v]) => a + v.us, 0) / 1000 / o.steps;
    console.log(JSON.stringify({ workload, steps: o.steps, wall_ms_per_step: +wall.toFixed(2), ops_ms_per_step: +total.toFixed(2), trace: o.trace }));
    for (const [name, v] of rows.slice(0, o.top))
      console.log(JSON.stringify({ op: name, ms: +(v.us / 1000 / o.steps).toFixed(3), calls: v.calls / o.steps }));
  });
program.parse();
