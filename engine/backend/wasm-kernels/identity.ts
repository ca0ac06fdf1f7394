// Identity without a copy. tfjs clones every tensor a gradient saves for the backward pass, and
// the stock wasm kernel copies each one; tensors are immutable, so the clone can share the
// input's memory under a reference count, as Reshape does (and the cpu backend's Identity).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The Identity kernel, for tensors on the wasm heap. */
export const identitySharing: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
