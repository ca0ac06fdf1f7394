// Sum over leading axes (a broadcast add's gradient: bias and BatchNorm offsets sum dy over batch,
// rows and columns). The stock wasm kernel first transposes the reduced axes to the end, which
// took 10x the time of the sum itself; one average pooling over all rows (XNNPACK, channels
// contiguous) times the row count takes a twentieth of that.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, release, reshape } from './calls';

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
    if (x.dtype !== 'float32' || count === undefined || tf.util.sizeFromShape(x.shape) === 0) return stock({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, count));
    const kept = x.shape.slice(count);
    const columns = reshape(wasm, x, [1, rows, 1, tf.util.sizeFromShape(kept)]);
    const means = callWasmKernel(tf.AvgPool, wasm, { x: columns }, { filterSize: [rows, 1], strides: 1, pad: 'valid' });
    const sums = wasm.typedArrayFromHeap(means) as Float32Array;
    for (let c = 0; c < sums.length; c++) sums[c] *= rows;
    const out = reshape(wasm, means, keepDims ? [...x.shape.slice(0, count).map(() => 1), ...kept] : kept);
    release(wasm, columns, means);
    return out;
  };
}
