// `npz:FILE`: a NumPy archive with x_train, y_train, x_test, y_test (and optionally x_val, y_val).
// Images are (N, H, W), (N, H, W, C) or (N, C, H, W) with C 1 or 3, uint8 (0..255) or float
// (taken as [0, 1], or as 0..255 when the training images exceed 1). The layout found is said in
// the notes. Without x_val a random 10% of the training examples (the run's seed) validates.
// x_test is decoded only when the test split is asked for.
import { UserError } from '../util/errors';
import { gatherExamples, seededParts } from './examples';
import { checkLabels, fileError, readDatasetFile } from './files';
import { NpyArray, parseNpz } from './npy';
import { DatasetSource, ImageShape, Split } from './types';

interface Images {
  split: Omit<Split, 'labels'>;
  input: ImageShape;
  layout: string;
}

type Archive = ReturnType<typeof parseNpz>;

const COLOUR_CHANNELS = [1, 3];

/** NHWC bytes or floats from the array as stored. */
function toImages(array: NpyArray, file: string, floatScale: number | undefined): Images & { floatScale: number } {
  const { shape, data } = array;
  if (data instanceof Int32Array) throw fileError(file, `images of dtype ${array.dtype}: expected uint8 or float32`);
  let layout: 'NHW' | 'NHWC' | 'NCHW';
  if (shape.length === 3) layout = 'NHW';
  else if (shape.length === 4 && COLOUR_CHANNELS.includes(shape[3])) layout = 'NHWC';
  else if (shape.length === 4 && COLOUR_CHANNELS.includes(shape[1])) layout = 'NCHW';
  else throw fileError(file, `images of shape (${shape.join(', ')}): expected (N, H, W), (N, H, W, C) or (N, C, H, W) with C 1 or 3`);
  const [count] = shape;
  const input: ImageShape =
    layout === 'NCHW' ? { channels: shape[1], height: shape[2], width: shape[3] } : { channels: layout === 'NHWC' ? shape[3] : 1, height: shape[1], width: shape[2] };
  const pixels = layout === 'NCHW' ? planarToInterleaved(data, count, input) : data;
  let scale = 1 / 255;
  if (pixels instanceof Float32Array) {
    scale = floatScale ?? (pixels.some((v) => v > 1) ? 1 / 255 : 1);
  }
  const kind = data instanceof Uint8Array ? 'uint8 0..255' : scale === 1 ? `${array.dtype} in [0, 1]` : `${array.dtype} in 0..255`;
  return { split: { pixels, scale, count }, input, layout: `${layout} (${kind})`, floatScale: scale };
}

function planarToInterleaved<T extends Uint8Array | Float32Array>(data: T, count: number, input: ImageShape): T {
  const { channels, height, width } = input;
  const plane = height * width;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let n = 0; n < count; n++) {
    const base = n * channels * plane;
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane; p++) out[base + p * channels + c] = data[base + c * plane + p];
    }
  }
  return out;
}

function labelsOf(array: NpyArray | undefined, name: string, file: string, count: number): Int32Array {
  if (!array) throw fileError(file, `no ${name}`);
  if (array.data instanceof Float32Array) throw fileError(`${file}/${name}.npy`, `labels of dtype ${array.dtype}: expected integers`);
  const flat = array.shape.length === 1 || (array.shape.length === 2 && array.shape[1] === 1);
  if (!flat || array.shape[0] !== count) throw fileError(`${file}/${name}.npy`, `shape (${array.shape.join(', ')}): expected (${count},), one label per image`);
  return Int32Array.from(array.data);
}

function pair(archive: Archive, x: string, y: string, file: string, floatScale?: number): Images & { split: Split; floatScale: number } {
  const { arrays } = archive;
  const images = arrays.get(x);
  if (!images) throw fileError(file, `no ${x} (the archive holds: ${archive.names.join(', ') || 'nothing'}; expected x_train, y_train, x_test, y_test, optionally x_val, y_val)`);
  const decoded = toImages(images, `${file}/${x}.npy`, floatScale);
  return { ...decoded, split: { ...decoded.split, labels: labelsOf(arrays.get(y), y, file, decoded.split.count) } };
}

function sameShape(a: ImageShape, b: ImageShape, file: string, what: string): void {
  if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
    throw fileError(file, `${what} images are ${b.height}x${b.width}x${b.channels}, the training images ${a.height}x${a.width}x${a.channels}`);
  }
}

function maxLabel(labels: Int32Array): number {
  return labels.reduce((m, v) => Math.max(m, v), 0);
}

export async function readNpz(file: string, seed: number): Promise<DatasetSource> {
  const archive = parseNpz(await readDatasetFile(file), file, ['x_train', 'y_train', 'x_val', 'y_val']);
  const { arrays } = archive;
  const all = pair(archive, 'x_train', 'y_train', file);
  const { input } = all;
  let train: Split;
  let validation: Split;
  let splitRule: string;
  if (arrays.has('x_val')) {
    const val = pair(archive, 'x_val', 'y_val', file, all.floatScale);
    sameShape(input, val.input, file, 'x_val');
    [train, validation] = [all.split, val.split];
    splitRule = 'x_train trains, x_val validates, x_test is the test set';
  } else {
    const [held, rest] = seededParts(Array.from({ length: all.split.count }, (_, i) => i), seed, [0.1]);
    if (rest.length === 0) throw new UserError(`${file}: ${all.split.count} training example(s) are too few to split into train and validation`);
    [validation, train] = [gatherExamples(all.split, input, held), gatherExamples(all.split, input, rest)];
    splitRule = `a random 10% of x_train (seed ${seed}) validates, the rest trains; x_test is the test set`;
  }
  const classes = Math.max(maxLabel(train.labels), maxLabel(validation.labels)) + 1;
  checkLabels(train.labels, classes, `${file}/y_train.npy`);
  checkLabels(validation.labels, classes, `${file}/${arrays.has('y_val') ? 'y_val' : 'y_train'}.npy`);
  const readTest = async () => {
    const test = pair(parseNpz(await readDatasetFile(file), file, ['x_test', 'y_test']), 'x_test', 'y_test', file, all.floatScale);
    sameShape(input, test.input, file, 'x_test');
    checkLabels(test.split.labels, classes, `${file}/y_test.npy`);
    return { split: test.split, notes: [] };
  };
  return {
    input,
    classes,
    augment: input.channels === 3,
    source: file,
    splitRule,
    train,
    validation,
    ...(archive.names.includes('x_test') && { test: { source: `x_test of ${file}`, read: readTest } }),
    notes: [
      `layout: ${all.layout}${all.layout.startsWith('NCHW') ? ', reordered to NHWC' : ''}`,
      ...(archive.names.includes('x_test') ? [] : [`no x_test in ${file}: no held-out test accuracy at the end`]),
    ],
  };
}
