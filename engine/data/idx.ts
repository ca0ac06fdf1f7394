// IDX files (MNIST, Fashion-MNIST): a 4-byte magic number 0x0000 <type> <rank>, `rank` big-endian
// 32-bit dimensions, then the values. Only unsigned bytes (type 0x08) occur in these datasets.
import { allInOrder } from '../util/promises';
import { checkLabels, fileError, readDatasetFile } from './files';
import { Split } from './types';

const UNSIGNED_BYTE = 0x08;

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** Parses an unsigned-byte IDX array of the given rank, checking the header against the data. */
export function parseIdx(bytes: Uint8Array, rank: number, file: string): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expectedMagic = (UNSIGNED_BYTE << 8) | rank;
  if (bytes.length < 4) throw fileError(file, `truncated: ${bytes.length} bytes, too short for an IDX header`);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw fileError(file, `wrong magic number ${hex(magic)}, expected ${hex(expectedMagic)} (IDX unsigned bytes, rank ${rank})`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw fileError(file, `truncated: the IDX header needs ${headerBytes} bytes, the file has ${bytes.length}`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual < expected) throw fileError(file, `truncated: the header (${shape.join(' x ')}) promises ${expected} bytes of data, the file has ${actual}`);
  if (actual > expected) throw fileError(file, `corrupt: ${actual - expected} bytes after the ${shape.join(' x ')} values its header describes`);
  return { shape, data: bytes.subarray(headerBytes) };
}

export interface IdxImages extends Split {
  height: number;
  width: number;
}

/** Reads a pair of IDX files: images (rank 3: count x height x width) and their labels (rank 1). */
export async function readIdxPair(imagesFile: string, labelsFile: string, classes: number): Promise<IdxImages> {
  const [imageBytes, labelBytes] = await allInOrder([readDatasetFile(imagesFile), readDatasetFile(labelsFile)]);
  const images = parseIdx(imageBytes, 3, imagesFile);
  const labelArray = parseIdx(labelBytes, 1, labelsFile);
  const [count, height, width] = images.shape;
  if (labelArray.shape[0] !== count) {
    throw fileError(labelsFile, `${labelArray.shape[0]} labels, but ${imagesFile} has ${count} images`);
  }
  const labels = Int32Array.from(labelArray.data);
  checkLabels(labels, classes, labelsFile);
  return { pixels: images.data, scale: 1 / 255, labels, count, height, width };
}
