// `esnac train SPEC --dataset D -o DIR`: trains a network from scratch (a teacher) and writes its
// best-epoch weights with the spec. Ctrl-C stops after the current batch and keeps the best so far.
import { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { BackendName, initBackend } from '../backend';
import { AUGMENT_CHOICES, AugmentChoice, DATASET_FORMS_HELP, describeDataset, loadDataset } from '../data';
import { writeModel } from '../model/io';
import { loadSpecFile } from '../architecture/validate';
import { DEFAULT_SETTINGS } from '../run/settings';
import { fitOnLabels } from '../train/supervised';
import { UserError } from '../util/errors';
import { AUGMENT_HELP, NORMALISE_HELP, choiceArg, normaliseArg } from './args';
import { onStopSignals, signalExitCode } from './signals';
import { print, printError } from './output';

interface TrainOptions {
  dataset: string;
  epochs: string;
  batchSize: string;
  lr: string;
  weightDecay: string;
  seed: string;
  backend: BackendName | 'auto';
  limitTrain?: string;
  limitValidation?: string;
  normalise: string;
  augment: AugmentChoice;
  output: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a network from scratch with cross-entropy and write its best-epoch weights (model.json + weights.bin)')
    .argument('<spec>', 'architecture spec file (.arch.yaml / .arch.json)')
    .requiredOption('-d, --dataset <name>', DATASET_FORMS_HELP)
    .requiredOption('-o, --output <dir>', 'folder for model.json and weights.bin')
    .option('-e, --epochs <n>', 'epochs', String(DEFAULT_SETTINGS.teacherEpochs))
    .option('--batch-size <n>', 'batch size', String(DEFAULT_SETTINGS.batchSize))
    .option('--lr <rate>', 'Adam learning rate', String(DEFAULT_SETTINGS.learningRate))
    .option('--weight-decay <wd>', 'L2 weight decay added to the gradient (PyTorch Adam)', String(DEFAULT_SETTINGS.weightDecay))
    .option('--seed <n>', 'seed for initialisation, batch order and augmentation', String(DEFAULT_SETTINGS.seed))
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm or cpu', 'auto')
    .option('--limit-train <n>', 'train on the first N training examples only')
    .option('--limit-validation <n>', 'validate on the first N validation examples only')
    .option('--normalise <rule>', NORMALISE_HELP, normaliseArg, DEFAULT_SETTINGS.normalise)
    .option('--augment <how>', AUGMENT_HELP, choiceArg(AUGMENT_CHOICES), DEFAULT_SETTINGS.augment)
    .option('-f, --force', 'overwrite a non-empty output folder')
    .action((file: string, options: TrainOptions) => runTrain(file, options));
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive whole number, got '${value}'`);
  return n;
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag} must be a number >= 0, got '${value}'`);
  return n;
}

async function runTrain(file: string, options: TrainOptions): Promise<void> {
  const epochs = positiveInteger('--epochs', options.epochs);
  const batchSize = positiveInteger('--batch-size', options.batchSize);
  const learningRate = nonNegative('--lr', options.lr);
  const weightDecay = nonNegative('--weight-decay', options.weightDecay);
  const seed = Number(options.seed);
  if (!Number.isInteger(seed)) throw new UserError(`--seed must be a whole number, got '${options.seed}'`);
  // Checked before hours of training, and again when writing.
  if (!options.force && existsSync(options.output) && readdirSync(options.output).length > 0) {
    throw new UserError(`${options.output} exists and is not empty; choose another folder or pass --force to overwrite it`);
  }
  const spec = await loadSpecFile(file);
  const backend = await initBackend(options.backend);
  const data = await loadDataset(options.dataset, {
    seed,
    input: spec.input,
    normalise: options.normalise,
    augment: options.augment,
    ...(options.limitTrain !== undefined ? { limitTrain: positiveInteger('--limit-train', options.limitTrain) } : {}),
    ...(options.limitValidation !== undefined ? { limitValidation: positiveInteger('--limit-validation', options.limitValidation) } : {}),
  });
  if (data.input.channels !== spec.input.channels || data.input.height !== spec.input.height || data.input.width !== spec.input.width || data.classes !== spec.classes) {
    const { channels, height, width } = spec.input;
    throw new UserError(`${file} takes ${height}x${width}x${channels} images and ${spec.classes} classes, but ${options.dataset} has ${data.input.height}x${data.input.width}x${data.input.channels} images and ${data.classes} classes`);
  }
  const log = (line: string) => printError(`${line}\n`);
  log(`backend: ${backend.detail}`);
  log(describeDataset(data));
  const controller = new AbortController();
  const stopListening = onStopSignals((signal) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    log(`${signal}: stopping after this batch (Ctrl-C again to quit without saving)`);
    controller.abort();
  });
  try {
    const result = await fitOnLabels(spec, data, {
      epochs, batchSize, learningRate, weightDecay, seed, signal: controller.signal,
      onEpoch: (r) => log(`epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, validation accuracy ${(100 * r.accuracy).toFixed(2)}%, ${r.imagesPerSecond.toFixed(0)} img/s, ${r.seconds.toFixed(1)} s${r.best ? ' (best)' : ''}`),
    });
    writeModel(options.output, result.model, options.force);
    const { outcome } = result;
    const which = outcome.epochs.length > 0 ? `epoch ${outcome.bestEpoch}` : 'the interrupted first epoch';
    print(`${options.output}: ${spec.name}, ${result.params} parameters, validation accuracy ${(100 * result.accuracy).toFixed(2)}% (${which}${outcome.stopped ? ', stopped early' : ''})\n`);
  } finally {
    stopListening();
  }
}
