// Tensors that alias part of another tensor's wasm memory, so that a kernel can hand XNNPACK a
// shifted window of a buffer without copying it. A view owns no memory: it is registered with
// wasm like a kernel output placed at a given address, and released without freeing.
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * A float32 tensor of `shape` over `base`'s memory from element `offset` on. It must lie inside
 * `base`, and `base` must outlive it; release it with releaseView, never with disposeData
 * (which would free memory the view does not own).
 */
export function heapView(backend: BackendWasm, base: tf.TensorInfo, offset: number, shape: number[]): tf.TensorInfo {
  const size = shape.reduce((n, d) => n * d, 1);
  const baseSize = base.shape.reduce((n, d) => n * d, 1);
  if (base.dtype !== 'float32' || offset < 0 || offset + size > baseSize) {
    throw new Error(`a view of ${size} elements at ${offset} does not fit in a float32 tensor of ${baseSize}`);
  }
  const address = backend.getMemoryOffset(base.dataId) + offset * Float32Array.BYTES_PER_ELEMENT;
  return backend.makeOutput(shape, 'float32', address);
}

/** Unregisters a view from wasm (which also drops XNNPACK operators cached on it) and from tfjs. */
export function releaseView(backend: BackendWasm, view: tf.TensorInfo): void {
  backend.wasm.tfjs.disposeData(backend.dataIdMap.get(view.dataId)!.id);
  backend.dataIdMap.delete(view.dataId);
}
