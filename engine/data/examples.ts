// Operations on examples as read: split, take a prefix, measure the normalisation.
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { ImageShape, Split, pixelsPerImage } from './types';

/** How many of `count` training examples validate: the last 10%, rounded up. */
export function validationSize(count: number): number {
  return Math.ceil(count / 10);
}

/** Examples [start, end) as views on the same arrays (no copy). */
export function sliceExamples(raw: Split, input: ImageShape, start: number, end: number): Split {
  const size = pixelsPerImage(input);
  return {
    pixels: raw.pixels.subarray(start * size, end * size),
    scale: raw.scale,
    labels: raw.labels.subarray(start, end),
    count: end - start,
  };
}

/** Joins files of byte pixels (CIFAR-10's five training batches, image folders' decoded files). */
export function concatExamples(parts: readonly Split[]): Split {
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
export function splitLastTenth(raw: Split, input: ImageShape, source: string): { train: Split; validation: Split } {
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
export function takeFirst(raw: Split, input: ImageShape, limit: number | undefined): Split {
  return limit === undefined || limit >= raw.count ? raw : sliceExamples(raw, input, 0, limit);
}

/**
 * Per-channel mean and population standard deviation on [0, 1] pixels. A constant channel gets
 * std 1 so normalising never divides by zero.
 */
export function channelStatistics(raw: Split, channels: number): { mean: number[]; std: number[] } {
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

/** The examples at `indices`, in that order (a copy). */
export function gatherExamples(raw: Split, input: ImageShape, indices: readonly number[]): Split {
  const size = pixelsPerImage(input);
  const pixels = raw.pixels instanceof Uint8Array ? new Uint8Array(indices.length * size) : new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  indices.forEach((from, to) => {
    pixels.set(raw.pixels.subarray(from * size, (from + 1) * size), to * size);
    labels[to] = raw.labels[from];
  });
  return { pixels, scale: raw.scale, labels, count: indices.length };
}

/**
 * `items` in a seeded random order, cut in parts: each fraction in turn from the front (rounded
 * up), then the rest (e.g. [0.1] gives a random 10% and the other 90%).
 */
export function seededParts<T>(items: readonly T[], seed: number, fractions: readonly number[]): T[][] {
  const order = new Rng(seed).shuffle([...items]);
  const parts: T[][] = [];
  let start = 0;
  for (const fraction of fractions) {
    const size = Math.ceil(items.length * fraction);
    parts.push(order.slice(start, start + size));
    start += size;
  }
  parts.push(order.slice(start));
  return parts;
}
