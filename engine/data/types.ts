// The dataset layer's data: plain typed arrays, so the trainer decides when they become tensors.

export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/** Normalised images, NHWC (example-major, channels last: tfjs conv2d's default), and labels. */
export interface Split {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface Normalisation {
  /** Per-channel mean and standard deviation of the training split, on pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
}

export interface Dataset {
  /** The dataset's kind (`mnist`, `fashion-mnist`, `cifar10`, `cifar100`). */
  name: string;
  input: ImageShape;
  classes: number;
  train: Split;
  validation: Split;
  test?: Split;
  /** Applied to every split: x = (pixel / 255 - mean[c]) / std[c]; apply the same at inference. */
  normalisation: Normalisation;
  /** Whether training batches get random crop + horizontal flip (natural images, not digits). */
  augment: boolean;
  /** Where it was read from (a directory, or the npm package). */
  source: string;
  /** How train and validation were drawn from the files, in words. */
  splitRule: string;
}

/**
 * Examples as read, before normalisation: HWC per example, bytes 0..255 or floats in [0, 1]
 * (`scale` maps them to [0, 1]).
 */
export interface RawExamples {
  pixels: Uint8Array | Float32Array;
  scale: number;
  labels: Int32Array;
  count: number;
}

export function pixelsPerImage(input: ImageShape): number {
  return input.channels * input.height * input.width;
}
