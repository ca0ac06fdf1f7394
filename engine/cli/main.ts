// The `esnac` command line: a thin layer over the engine library. Each command lives in its own
// module exporting `register(program)`.
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { errorDetail, isSystemError, UserError } from '../util/errors';
import { register as registerZoo } from './zoo';
import { register as registerDiff } from './diff';
import { register as registerStats } from './stats';
import { register as registerValidate } from './validate';
import { register as registerSample } from './sample';
import { register as registerEncode } from './encode';
import { register as registerServe } from './serve';
import { register as registerTrain } from './train';
import { register as registerCompress } from './compress';
import { register as registerExport } from './export';
import { register as registerImport } from './import';
import { printError } from './output';

// tfjs prints advice of its own to the terminal (install tfjs-node, on the first tensor of its cpu
// backend); which backend runs and why the others did not is esnac's to report (engine/backend).
// PROD silences only tfjs's console messages in tfjs-core 4.
tf.env().set('PROD', true);

const program = new Command('esnac')
  .description('Compress neural network architectures (learnable embedding space + Bayesian optimisation)')
  .showHelpAfterError();

const commands: Array<(program: Command) => void> = [registerValidate, registerStats, registerDiff, registerZoo, registerSample, registerEncode, registerTrain, registerCompress, registerServe, registerImport, registerExport];
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof UserError || isSystemError(err)) {
    // A system error (a full disk, a read-only folder) is the machine's, not esnac's: its message names the file.
    printError(`esnac: ${err.message}\n`);
  } else {
    printError(`esnac: internal error: ${errorDetail(err)}\n`);
  }
  // The command has closed what it started by now (every command does so on every path): exit
  // even if a library left a handle open, rather than hang after an error.
  process.exit(process.exitCode || 1);
});
