// `esnac train SPEC --dataset D -o DIR`: trains a network from scratch (a teacher) and writes its
// best-epoch weights with the spec, on the trainer a run would use (a PyTorch worker when a Python
// with torch is found, else tfjs). Ctrl-C stops after the current batch: tfjs keeps the best epoch
// so far; PyTorch keeps the finished epochs in DIR.checkpoint, from which the same command goes on.
import { Command } from 'commander';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackendName, initBackend } from '../backend';
import { AUGMENT_CHOICES, AugmentChoice, DATASET_FORMS_HELP, Dataset, describeDataset, loadDataset } from '../data';
import { chooseEvaluator } from '../evaluation/choice';
import { withOneWorker } from '../evaluation/pytorch/fit';
import { CheckpointNote, EpochReport } from '../evaluation/pytorch/protocol';
import { epochLine } from '../search/fit';
import { TorchInfo } from '../evaluation/pytorch/python';
import { DEFAULT_EVALUATOR, EvaluatorKind } from '../evaluation/settings';
import { writeModel } from '../model/io';
import { ArchitectureSpec } from '../architecture/types';
import { writeFolderAtomic } from '../util/atomic-write';
import { loadSpecFile } from '../architecture/validate';
import { DEFAULT_SETTINGS } from '../run/settings';
import { fitOnLabels } from '../train/supervised';
import { UserError } from '../util/errors';
import { addTrainerOptions } from './evaluator-options';
import { AUGMENT_HELP, NORMALISE_HELP, choiceArg, normaliseArg } from './args';
import { onStopSignals, signalExitCode } from '../util/signals';
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
  evaluator?: EvaluatorKind;
  python?: string;
  autocast?: boolean;
}

/** The trainers `esnac train` can use: one network, trained here. */
const TRAIN_KINDS = ['auto', 'pytorch', 'local'] as const satisfies readonly EvaluatorKind[];

interface Training {
  spec: ArchitectureSpec;
  data: Dataset;
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
  output: string;
  force: boolean;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** The run's epoch line (engine/search/fit.ts), with the epoch's seconds and whether it is the best so far. */
const trainLine = (r: EpochReport, epochs: number) => `${epochLine(r, epochs).trimStart()}, ${r.seconds.toFixed(1)} s${r.best ? ' (best)' : ''}`;

export function register(program: Command): void {
  const command = program
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
    .option('--backend <name>', 'tfjs backend when tfjs trains: auto, tensorflow, webgpu, wasm or cpu', 'auto')
    .option('--limit-train <n>', 'train on the first N training examples only')
    .option('--limit-validation <n>', 'validate on the first N validation examples only')
    .option('--normalise <rule>', NORMALISE_HELP, normaliseArg, DEFAULT_SETTINGS.normalise)
    .option('--augment <how>', AUGMENT_HELP, choiceArg(AUGMENT_CHOICES), DEFAULT_SETTINGS.augment)
    .option('-f, --force', 'overwrite a non-empty output folder');
  addTrainerOptions(command, 'the network', TRAIN_KINDS).action((file: string, options: TrainOptions) => runTrain(file, options));
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
  const choice = await chooseEvaluator({ ...DEFAULT_EVALUATOR, kind: options.evaluator ?? DEFAULT_EVALUATOR.kind, ...(options.python !== undefined && { python: options.python }) });
  // PyTorch training also needs tfjs, on any backend: its initial weights are drawn as the local trainer draws them.
  const backend = await initBackend(choice.torch ? 'cpu' : options.backend);
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
  log(`trainer: ${choice.used === 'pytorch' ? 'pytorch' : 'tfjs'}: ${choice.why}`);
  if (!choice.torch) log(`backend: ${backend.detail}`);
  log(describeDataset(data));
  const controller = new AbortController();
  const stopListening = onStopSignals((signal) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    log(`${signal}: stopping after this batch (Ctrl-C again to quit without saving)`);
    controller.abort();
  });
  const training: Training = { spec, data, epochs, batchSize, learningRate, weightDecay, seed, output: options.output, force: options.force === true, signal: controller.signal, log };
  try {
    if (choice.torch) await trainWithPytorch(training, choice.torch, options.autocast !== false);
    else await trainWithTfjs(training);
  } finally {
    stopListening();
  }
}

async function trainWithTfjs(t: Training): Promise<void> {
  const { spec, data, epochs, batchSize, learningRate, weightDecay, seed, signal } = t;
  const result = await fitOnLabels(spec, data, { epochs, batchSize, learningRate, weightDecay, seed, signal, onEpoch: (r) => t.log(trainLine(r, epochs)) });
  writeModel(t.output, result.model, t.force);
  const { outcome } = result;
  const which = outcome.epochs.length > 0 ? `epoch ${outcome.bestEpoch}` : 'the interrupted first epoch';
  print(`${t.output}: ${spec.name}, ${result.params} parameters, validation accuracy ${(100 * result.accuracy).toFixed(2)}% (${which}${outcome.stopped ? ', stopped early' : ''})\n`);
}

/**
 * One PyTorch worker with every core (or the first GPU). Its state after each epoch is kept in
 * OUTPUT.checkpoint until the weights are written, so a stopped or crashed training goes on there.
 */
async function trainWithPytorch(t: Training, torch: TorchInfo, autocast: boolean): Promise<void> {
  const { spec, epochs, batchSize, learningRate, weightDecay, seed } = t;
  const checkpoint = `${resolve(t.output)}.checkpoint`;
  let bestEpoch = 0;
  let finished = 0;
  const onEpoch = (r: EpochReport) => {
    finished = r.epoch;
    if (r.best) bestEpoch = r.epoch;
    t.log(trainLine(r, epochs));
  };
  const onCheckpoint = (note: CheckpointNote) => {
    if ('ignored' in note) return t.log(`not going on from ${checkpoint}: ${note.ignored}`);
    finished = note.resumed.length;
    bestEpoch = note.resumed.reduce((best, e) => (e.best ? e.epoch : best), 0);
    t.log(`going on at epoch ${finished + 1}/${epochs}: epochs 1-${finished} are in ${checkpoint}`);
  };
  const worker = { torch, threads: torch.gpus > 0 ? 1 : torch.cpus, autocast };
  try {
    const result = await withOneWorker(t.data, worker, async (trainer, scratch) => {
      const out = join(scratch, 'weights');
      const job = { spec, out, epochs, batchSize, learningRate, weightDecay, seed, checkpoint, record: { epochs, batchSize, learningRate, weightDecay, seed } };
      const trained = await trainer.fit(job, t.signal, onEpoch, onCheckpoint);
      if (trained.status !== 'ok') throw new UserError(`training ${spec.name} failed: ${trained.reason}`);
      writeFolderAtomic(t.output, (temporary) => cpSync(out, temporary, { recursive: true }), t.force);
      return trained;
    });
    rmSync(checkpoint, { recursive: true, force: true });
    print(`${t.output}: ${spec.name}, ${result.params} parameters, validation accuracy ${(100 * result.accuracy).toFixed(2)}% (epoch ${bestEpoch})\n`);
  } catch (err) {
    if (!t.signal.aborted) throw err;
    t.log(`stopped in epoch ${finished + 1}/${epochs}; nothing written to ${t.output}.${finished > 0 ? ` Epochs 1-${finished} are kept in ${checkpoint}: the same command goes on from epoch ${finished + 1}.` : ''}`);
    process.exitCode = 130;
  }
}
