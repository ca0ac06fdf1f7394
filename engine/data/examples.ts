// Operations on examples as read: split, take a prefix, measure and apply the normalisation.
import { UserError } from '../util/errors';
import { ImageShape, Normalisation, RawExamples, Split, pixelsPerImage } from './types';

/** How many of `count` training examples validate: the last 10%, rounded up. */
export function validationSize(count: number): number {
  return Math.ceil(count / 10);
}

/** Examples [start, end) as views on the same arrays (no copy). */
export function sliceExamples(raw: RawExamples, input: ImageShape, start: number, end: number): RawExamples {
  const size = pixelsPerImage(input);
  return {
    pixels: raw.pixels.subarray(start * size, end * size),
    scale: raw.scale,
    labels: raw.labels.subarray(start, end),
    count: end - start,
  };
}

/** Joins files of byte pixels (CIFAR-10's five training batches). */
export function concatExamples(parts: readonly RawExamples[]): RawExamples {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const pixels = new Uint8Array(parts.reduce((n, p) => n + p.pixels.length, 0));
  const labels = new Int32Array(count);
  let offset = 0;
  let index = 0;
  for (const part of parts) {
    pixels.set(part.pixels, offset);
    labels.set(part.labels, index);
    offset += part.pixels.length;
    index += part.count;
  }
  return { pixels, scale: parts[0].scale, labels, count };
}

/** The last 10% validate; the rest trains (the authors' 45,000 / 5,000 on CIFAR). */
export function splitLastTenth(raw: RawExamples, input: ImageShape, source: string): { train: RawExamples; validation: RawExamples } {
  const validation = validationSize(raw.count);
  if (raw.count - validation < 1) {
    throw new UserError(`${source}: ${raw.count} training example(s) are too few to split into train and validation`);
  }
  return {
    train: sliceExamples(raw, input, 0, raw.count - validation),
    validation: sliceExamples(raw, input, raw.count - validation, raw.count),
  };
}

/** The first `limit` examples (all when limit is undefined or larger). */
export function takeFirst(raw: RawExamples, input: ImageShape, limit: number | undefined): RawExamples {
  return limit === undefined || limit >= raw.count ? raw : sliceExamples(raw, input, 0, limit);
}

/**
 * Per-channel mean and population standard deviation on [0, 1] pixels. A constant channel gets
 * std 1 so normalising never divides by zero.
 */
export function channelStatistics(raw: RawExamples, channels: number): Normalisation {
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const { pixels } = raw;
  for (let i = 0; i < pixels.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = pixels[i + c];
      sum[c] += v;
      squares[c] += v * v;
    }
  }
  const n = pixels.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (q, c) => Math.sqrt(Math.max(0, q / n - mean[c] * mean[c])));
  return {
    mean: mean.map((m) => m * raw.scale),
    std: std.map((s) => (s > 0 ? s * raw.scale : 1)),
  };
}

/** Normalised float images: (pixel * scale - mean[c]) / std[c]. */
export function normalise(raw: RawExamples, channels: number, normalisation: Normalisation): Split {
  const { pixels, scale } = raw;
  const images = new Float32Array(pixels.length);
  const gain = normalisation.std.map((s) => scale / s);
  const shift = normalisation.mean.map((m, c) => m / normalisation.std[c]);
  for (let i = 0; i < pixels.length; i += channels) {
    for (let c = 0; c < channels; c++) images[i + c] = pixels[i + c] * gain[c] - shift[c];
  }
  return { images, labels: Int32Array.from(raw.labels), count: raw.count };
}
