// Slice and SplitV by contiguous runs straight from the wasm heap. The stock Slice first copies
// its whole input out of the heap (readSync), whatever the slice's size, and SplitV slices once
// per piece: a channel split of g groups copied the input g times over.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Typed = tf.backend_util.TypedArray;

/** Runs at least this long are copied with set (a memcpy); shorter ones element by element, with no subarray object per run. */
const SHORT_RUN = 16;

/** Copies the block of `src` (of `shape`) at `begin` of `size` into `dst`, in row-major order. */
export function copyBlock(src: Typed, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Typed): void {
  if (shape.length === 0) {
    dst[0] = src[0];
    return;
  }
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((n, d) => n * d, 1));
  // Trailing axes taken whole, and the one before them, are one contiguous run per position of the rest.
  let runAxis = shape.length - 1;
  while (runAxis > 0 && size[runAxis] === shape[runAxis]) runAxis--;
  const run = size[runAxis] * strides[runAxis];
  let to = 0;
  const copyRun = (from: number): void => {
    if (run >= SHORT_RUN) dst.set(src.subarray(from, from + run), to);
    else for (let i = 0; i < run; i++) dst[to + i] = src[from + i];
    to += run;
  };
  // Recurses over the axes before the run's, with a plain loop over the last of them.
  const copyFrom = (axis: number, from: number): void => {
    const first = from + begin[axis] * strides[axis];
    if (axis === runAxis) {
      copyRun(first);
    } else if (axis === runAxis - 1) {
      const runStart = begin[runAxis] * strides[runAxis];
      for (let i = 0, at = first + runStart; i < size[axis]; i++, at += strides[axis]) copyRun(at);
    } else {
      for (let i = 0; i < size[axis]; i++) copyFrom(axis + 1, first + i * strides[axis]);
    }
  };
  copyFrom(0, 0);
}

function sliceOf(backend: BackendWasm, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views are taken after makeOutput: allocating may grow the heap and detach older views.
  if (tf.util.sizeFromShape(size) > 0) copyBlock(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

/** The Slice kernel, for tensors on the wasm heap. */
export const sliceByRuns: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { begin, size } = attrs as unknown as tf.SliceAttrs;
  const [begins, sizes] = tf.slice_util.parseSliceParams(x, begin, size);
  return sliceOf(backend as BackendWasm, x, begins, sizes);
};

/** The SplitV kernel, for tensors on the wasm heap: one slice per piece. */
export const splitBySlices: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
  const splitAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  const begin = x.shape.map(() => 0);
  return tf.backend_util.prepareSplitSize(x, numOrSizeSplits, splitAxis).map((pieceSize) => {
    const size = x.shape.map((d, a) => (a === splitAxis ? pieceSize : d));
    const piece = sliceOf(backend as BackendWasm, x, [...begin], size);
    begin[splitAxis] += pieceSize;
    return piece;
  });
};
