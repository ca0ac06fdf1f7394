// Tile by block copies. The stock wasm kernel computes every output element's source index, and
// BatchNorm's gradient tiles whole activations, so it dominated ResNet training steps.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Typed = tf.backend_util.TypedArray;

/** Writes `src` (of `shape`) repeated `reps` times along each axis into `dst`. */
export function tileInto(src: Typed, shape: readonly number[], reps: readonly number[], dst: Typed): void {
  const merged = mergeUnrepeatedAxes(shape, reps);
  const outStrides = stridesOf(merged.shape.map((size, axis) => size * merged.reps[axis]));
  const last = merged.shape.length - 1;
  const rowLength = merged.shape[last];
  const rowCopies = merged.reps[last];
  // First each source row goes to its place in the first tile, repeated along the last axis;
  // then, from the innermost axis out, each filled block is copied to its repeats.
  for (let row = 0; row * rowLength < src.length; row++) {
    const at = offsetOf(row, merged.shape, outStrides, last);
    const source = src.subarray(row * rowLength, (row + 1) * rowLength);
    if (rowLength === 1) {
      dst.fill(source[0], at, at + rowCopies);
      continue;
    }
    for (let copy = 0; copy < rowCopies; copy++) dst.set(source, at + copy * rowLength);
  }
  for (let axis = last - 1; axis >= 0; axis--) {
    if (merged.reps[axis] === 1) continue;
    const block = merged.shape[axis] * outStrides[axis];
    const blocks = merged.shape.slice(0, axis).reduce((n, size) => n * size, 1);
    for (let index = 0; index < blocks; index++) {
      const at = offsetOf(index, merged.shape, outStrides, axis);
      for (let copy = 1; copy < merged.reps[axis]; copy++) dst.copyWithin(at + copy * block, at, at + block);
    }
  }
}

/** Neighbouring axes that are both not repeated act as one longer axis. */
function mergeUnrepeatedAxes(shape: readonly number[], reps: readonly number[]): { shape: number[]; reps: number[] } {
  const merged = { shape: [1], reps: [1] };
  shape.forEach((size, axis) => {
    const end = merged.shape.length - 1;
    if (reps[axis] === 1 && merged.reps[end] === 1) {
      merged.shape[end] *= size;
    } else {
      merged.shape.push(size);
      merged.reps.push(reps[axis]);
    }
  });
  return merged;
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) strides[axis] = strides[axis + 1] * shape[axis + 1];
  return strides;
}

/** Output offset of the `index`-th source position over the axes before `axisCount`. */
function offsetOf(index: number, shape: readonly number[], outStrides: readonly number[], axisCount: number): number {
  let offset = 0;
  let rest = index;
  for (let axis = axisCount - 1; axis >= 0; axis--) {
    const position = rest % shape[axis];
    rest = (rest - position) / shape[axis];
    offset += position * outStrides[axis];
  }
  return offset;
}

/** The Tile kernel, for tensors on the wasm heap. */
export const tileByBlocks: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const wasm = backend as BackendWasm;
  const reps = attrs!.reps as number[];
  const out = wasm.makeOutput(x.shape.map((size, axis) => size * reps[axis]), x.dtype);
  // Views are taken after makeOutput: allocating may grow the heap and detach older views.
  if (tf.util.sizeFromShape(out.shape) > 0) {
    tileInto(wasm.typedArrayFromHeap(x), x.shape, reps, wasm.typedArrayFromHeap(out));
  }
  return out;
};
