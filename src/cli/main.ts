#!/usr/bin/env node
// The `gantry` command. Every failure prints one line naming the problem and the fix, and exits
// non-zero; files already written stay as they were (checkpoints are written atomically).
import './environment.js';
import { Command } from 'commander';
import { z } from 'zod';
import { DataFileError } from '../data/index.js';
import { BenchStopped } from '../sweep/pool.js';
import { DiskWriteError } from '../torch/index.js';
import { addBenchCommands } from './bench.js';
import { addDataCommands } from './data.js';
import { addEvalImages } from './eval-images.js';
import { addEvalSamples } from './eval-samples.js';
import { addEvaluatorCommands } from './evaluator.js';
import { addExportCommands } from './export.js';
import { addInfoCommands } from './info.js';
import { addRunCommands } from './runs.js';
import { addServeCommand } from './serve.js';
import { addSweepCommands, addWorkerCommand } from './sweep.js';
import { addTrainCommand } from './train.js';

const program = new Command('gantry')
  .description('Train GANs that do not collapse, and measure how much they collapse (libtorch from TypeScript).')
  .showHelpAfterError('(run with --help for usage)');

addInfoCommands(program);
addTrainCommand(program);
addRunCommands(program);
addServeCommand(program);
addSweepCommands(program);
addWorkerCommand(program);
addEvalSamples(program);
addDataCommands(program);
addEvalImages(program);
addEvaluatorCommands(program);
addExportCommands(program);
addBenchCommands(program);

try {

  await program.parseAsync();
} catch (e) {
  if (e instanceof BenchStopped) {
    console.error(`gantry: stopped (${e.signal}); the finished runs and the stopped runs' checkpoints are kept. Continue with the same command and --resume.`);
    process.exit(e.signal === 'SIGTERM' ? 143 : 130);
  }
  const err = e as Error;
  const known = err instanceof DataFileError || err instanceof DiskWriteError || err instanceof z.ZodError || /^(invalid|unknown|gantry:)/.test(err.message);
  // libtorch's messages carry no advice of their own: what to lower depends on the command.
  const advice = /out of CPU memory/.test(err.message) ? ': lower what this command makes at once (--n, --batch-size, --eval-samples, --metric-samples, or the networks\' width)' : '';
  console.error(`gantry: ${err.message.replace(/^gantry: /, '').split('\n')[0]}${advice}`);
  if (!known && process.env.GANTRY_DEBUG) console.error(err.stack);
  // A failed write (a full disk) exits with its own code, so scripts can tell it from bad input.
  process.exit(err instanceof DiskWriteError ? DiskWriteError.exitCode : 1);
}
