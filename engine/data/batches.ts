// Mini-batches over a split, one epoch per call, normalised as they are taken, with the authors'
// CIFAR augmentation: random crop back to full size from the image padded by 4, then a
// horizontal flip with p = 0.5.
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { Dataset, ImageShape, Normalisation, Split, pixelsPerImage } from './types';

export interface Batch {
  /** `count` normalised images, NHWC. */
  x: Float32Array;
  y: Int32Array;
  count: number;
}

export interface BatchOptions {
  /** Augment (only where the dataset calls for it, i.e. dataset.augment). Default true. */
  augment?: boolean;
  /** Visit the examples in a fresh random order. Default true. */
  shuffle?: boolean;
}

export const CROP_PADDING = 4;

export function batchCount(split: Split, batchSize: number): number {
  return Math.ceil(split.count / batchSize);
}

/**
 * Writes `src` shifted by (dy, dx), then mirrored left-right when `flip`:
 * out[y][x] = src[y + dy][(flip ? W - 1 - x : x) + dx], 0 outside the image. With |dy|, |dx| <=
 * 4 that is a crop at offset (dy + 4, dx + 4) of the image padded by 4. The padding is 0 in
 * normalised space (the images are normalised before the shift), i.e. the mean colour under the
 * dataset's own statistics, and what the network's own convolution padding feeds in.
 */
export function shiftAndFlip(src: Float32Array, out: Float32Array, input: ImageShape, dy: number, dx: number, flip: boolean): void {
  const { channels, height, width } = input;
  const rowLength = width * channels;
  for (let y = 0; y < height; y++) {
    const outRow = y * rowLength;
    const sy = y + dy;
    if (sy < 0 || sy >= height) {
      out.fill(0, outRow, outRow + rowLength);
      continue;
    }
    const srcRow = sy * rowLength;
    if (flip) {
      for (let x = 0; x < width; x++) {
        const sx = width - 1 - x + dx;
        const o = outRow + x * channels;
        if (sx < 0 || sx >= width) {
          out.fill(0, o, o + channels);
        } else {
          const s = srcRow + sx * channels;
          for (let c = 0; c < channels; c++) out[o + c] = src[s + c];
        }
      }
    } else {
      const x0 = Math.min(width, Math.max(0, -dx));
      const x1 = Math.max(x0, Math.min(width, width - dx));
      out.fill(0, outRow, outRow + x0 * channels);
      out.set(src.subarray(srcRow + (x0 + dx) * channels, srcRow + (x1 + dx) * channels), outRow + x0 * channels);
      out.fill(0, outRow + x1 * channels, outRow + rowLength);
    }
  }
}

/** Per channel, x * gain[c] - shift[c] = (x * scale - mean[c]) / std[c]. */
export function normalisingCoefficients(normalisation: Pick<Normalisation, 'mean' | 'std'>, scale: number): { gain: number[]; shift: number[] } {
  return {
    gain: normalisation.std.map((s) => scale / s),
    shift: normalisation.mean.map((m, c) => m / normalisation.std[c]),
  };
}

/** Writes one HWC image normalised with `normalisingCoefficients`. */
export function normaliseImage(src: Uint8Array | Float32Array, out: Float32Array, { gain, shift }: { gain: number[]; shift: number[] }): void {
  const channels = gain.length;
  for (let i = 0; i < src.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = src[i + c] * gain[c] - shift[c];
  }
}

/**
 * One epoch of batches of `batchSize` (the last one smaller when the split does not divide).
 * Draws from `rng`, as the batches are taken: the order (Fisher-Yates, before the first batch),
 * then per example dy, dx in [-4, 4] and the flip. The yielded arrays are reused by the next
 * batch: turn them into tensors (or copy them) before asking for it; `[...batches(...)]` would
 * hold the last batch's data many times over. (tfjs's 'cpu' backend keeps a reference to the
 * array a tensor is made from, so dispose that tensor before the next batch, or copy.) For
 * evaluation pass { augment: false, shuffle: false }.
 */
export function* batches(
  split: Split,
  dataset: Pick<Dataset, 'input' | 'augment' | 'normalisation'>,
  batchSize: number,
  rng: Rng,
  options: BatchOptions = {},
): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batch size must be a positive integer, got ${batchSize}`);
  const augment = dataset.augment && (options.augment ?? true);
  const size = pixelsPerImage(dataset.input);
  const order = Array.from({ length: split.count }, (_, i) => i);
  if (options.shuffle ?? true) rng.shuffle(order);
  const capacity = Math.min(batchSize, split.count);
  const x = new Float32Array(capacity * size);
  const y = new Int32Array(capacity);
  const normalised = new Float32Array(augment ? size : 0);
  const coefficients = normalisingCoefficients(dataset.normalisation, split.scale);
  for (let start = 0; start < split.count; start += batchSize) {
    const count = Math.min(batchSize, split.count - start);
    for (let b = 0; b < count; b++) {
      const i = order[start + b];
      const image = split.pixels.subarray(i * size, (i + 1) * size);
      const target = x.subarray(b * size, (b + 1) * size);
      if (augment) {
        normaliseImage(image, normalised, coefficients);
        shiftAndFlip(normalised, target, dataset.input, rng.int(-CROP_PADDING, CROP_PADDING), rng.int(-CROP_PADDING, CROP_PADDING), rng.bernoulli(0.5));
      } else {
        normaliseImage(image, target, coefficients);
      }
      y[b] = split.labels[i];
    }
    yield count === capacity ? { x, y, count } : { x: x.subarray(0, count * size), y: y.subarray(0, count), count };
  }
}
