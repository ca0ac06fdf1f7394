// Sum over leading axes (a broadcast add's gradient: bias and BatchNorm offsets sum dy over batch,
// rows and columns). The stock wasm kernel first transposes the reduced axes to the end, which
// took 10x the time of the sum itself.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Column sums of `x` seen as [rows, columns] (accumulated in doubles, as the cpu backend does). */
export function sumRows(x: Float32Array, columns: number, out: Float32Array): void {
  const sums = new Float64Array(columns);
  for (let at = 0; at < x.length; at += columns) {
    for (let c = 0; c < columns; c++) sums[c] += x[at + c];
  }
  out.set(sums);
}

/** The axes as a count when they are exactly the first ones (but not all), else undefined. */
function leadingAxes(axis: number | number[], shape: number[]): number | undefined {
  const axes = [...tf.util.parseAxisParam(axis, shape)].sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i) && axes.length > 0 && axes.length < shape.length;
  return leading ? axes.length : undefined;
}

/** The Sum kernel: float32 sums over leading axes here, every other sum by `stock`. */
export function sumLeadingAxes(stock: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const count = leadingAxes(axis, x.shape);
    if (x.dtype !== 'float32' || count === undefined) return stock({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const kept = x.shape.slice(count);
    const out = wasm.makeOutput(keepDims ? [...x.shape.slice(0, count).map(() => 1), ...kept] : kept, 'float32');
    // Views are taken after makeOutput: allocating may grow the heap and detach older views.
    sumRows(wasm.typedArrayFromHeap(x) as Float32Array, tf.util.sizeFromShape(kept), wasm.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
}
