// MaxPoolGrad: the stock wasm kernel took 16 ms for one 2x2 pool of a 64x28x28x16 batch (60x
// its forward pass); VGG-style nets spent more time in it than in any conv gradient.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelParams } from './calls';

type Pool2DInfo = tf.backend_util.Conv2DInfo;

/**
 * Adds each window's dy to the position of the window's maximum in dx (zeroed first), as the
 * cpu backend does: the first maximum in row-major order, padding never, a window with no value
 * above -Infinity nowhere.
 */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth } = info;
  // Per channel of the current window, the largest value so far and where it is (-1: none); the
  // window's first pixel sets both. Channels are the innermost, contiguous loop.
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  dx.fill(0);
  for (let n = 0, from = 0; n < batchSize; n++) {
    for (let yr = 0; yr < outHeight; yr++) {
      const top = yr * strideHeight - info.padInfo.top;
      const firstRow = Math.max(0, top);
      const endRow = Math.min(inHeight, top + filterHeight);
      for (let yc = 0; yc < outWidth; yc++, from += channels) {
        const left = yc * strideWidth - info.padInfo.left;
        const firstCol = Math.max(0, left);
        const endCol = Math.min(inWidth, left + filterWidth);
        if (firstRow >= endRow || firstCol >= endCol) continue;
        let started = false;
        for (let r = firstRow; r < endRow; r++) {
          for (let c = firstCol; c < endCol; c++) {
            const at = ((n * inHeight + r) * inWidth + c) * channels;
            if (started) {
              for (let d = 0; d < channels; d++) {
                if (x[at + d] > best[d]) {
                  best[d] = x[at + d];
                  bestAt[d] = at + d;
                }
              }
              continue;
            }
            for (let d = 0; d < channels; d++) {
              const value = x[at + d];
              best[d] = value > -Infinity ? value : -Infinity;
              bestAt[d] = value > -Infinity ? at + d : -1;
            }
            started = true;
          }
        }
        for (let d = 0; d < channels; d++) if (bestAt[d] >= 0) dx[bestAt[d]] += dy[from + d];
      }
    }
  }
}

export function maxPoolGrad({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const dx = wasm.makeOutput(input.shape, 'float32');
  // Views are taken after makeOutput: allocating may grow the heap and detach older views.
  maxPoolBackprop(
    wasm.typedArrayFromHeap(input) as Float32Array,
    wasm.typedArrayFromHeap(dy) as Float32Array,
    info,
    wasm.typedArrayFromHeap(dx) as Float32Array,
  );
  return dx;
}
