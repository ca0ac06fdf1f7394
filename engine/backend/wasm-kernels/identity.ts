// Identity without a copy. tfjs clones every tensor a gradient saves for the backward pass, and
// the stock wasm kernel copies each one; tensors are immutable, so the clone can share the
// input's memory under a reference count, as Reshape does (and the cpu backend's Identity).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The Identity kernel; string tensors (not on the wasm heap) go to `stock`. */
export function identitySharing(stock: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return stock({ inputs, backend, attrs });
    (backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
