// AvgPoolGrad as the input gradient of a depthwise conv whose filter is 1 / window size: the
// stock wasm kernel took 60 ms for a 3x3 stride-2 pool of a 64x18x18x200 batch (55x its forward
// pass; ShuffleNet's shortcut pools), this 7 ms. Like the cpu backend's, it divides by the whole window
// even where the window covers padding.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelParams, release } from './calls';
import { depthwiseWithFlipped, inputGradientByStuffing } from './input-phases';

export function avgPoolGrad({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
  const [filterHeight, filterWidth] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
  const filterShape: [number, number, number, number] = [filterHeight, filterWidth, input.shape[3], 1];
  const info = tf.backend_util.computeConv2DInfo(input.shape as [number, number, number, number], filterShape, strides, 1, pad, undefined, true);
  const filter = wasm.makeOutput(filterShape, 'float32');
  wasm.typedArrayFromHeap(filter).fill(1 / (filterHeight * filterWidth));
  const dx = inputGradientByStuffing(wasm, dy, filter, info, depthwiseWithFlipped);
  release(wasm, filter);
  return dx;
}
