// CIFAR-10/100 binary version: fixed-size records of label byte(s) then 3072 pixel bytes, stored
// as three 32x32 planes (red, green, blue). CIFAR-100 records carry (coarse, fine) labels.
import { checkLabels, fileError, readDatasetFile } from './files';
import { ImageShape, Split, pixelsPerImage } from './types';

export const CIFAR_INPUT: ImageShape = { channels: 3, height: 32, width: 32 };

export interface CifarFormat {
  /** 1 for CIFAR-10; 2 for CIFAR-100, whose second (fine) label is the one used. */
  labelBytes: number;
  classes: number;
}

export const CIFAR10: CifarFormat = { labelBytes: 1, classes: 10 };
export const CIFAR100: CifarFormat = { labelBytes: 2, classes: 100 };

/** Reorders one image from planes (CHW) to channels-last (HWC). */
function planarToInterleaved(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
  const { channels, height, width } = CIFAR_INPUT;
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    const from = srcOffset + c * plane;
    for (let p = 0; p < plane; p++) dst[dstOffset + p * channels + c] = src[from + p];
  }
}

/** Parses a whole CIFAR binary file into HWC pixels and labels. */
export function parseCifar(bytes: Uint8Array, format: CifarFormat, file: string): Split {
  const imageBytes = pixelsPerImage(CIFAR_INPUT);
  const recordBytes = format.labelBytes + imageBytes;
  if (bytes.length === 0) throw fileError(file, 'empty');
  if (bytes.length % recordBytes !== 0) {
    throw fileError(file, `truncated: ${bytes.length} bytes is not a whole number of ${recordBytes}-byte records (${format.labelBytes} label byte(s) + ${imageBytes} pixels)`);
  }
  const count = bytes.length / recordBytes;
  const labels = new Int32Array(count);
  const pixels = new Uint8Array(count * imageBytes);
  for (let i = 0; i < count; i++) {
    const record = i * recordBytes;
    labels[i] = bytes[record + format.labelBytes - 1];
    planarToInterleaved(bytes, record + format.labelBytes, pixels, i * imageBytes);
  }
  checkLabels(labels, format.classes, file);
  return { pixels, scale: 1 / 255, labels, count };
}

export async function readCifarFile(file: string, format: CifarFormat): Promise<Split> {
  return parseCifar(await readDatasetFile(file), format, file);
}
