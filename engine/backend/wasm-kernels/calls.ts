// Calls into the wasm backend's own kernels from inside our kernels. A kernel may only return
// TensorInfo and must free every intermediate it makes, so these helpers stay at that level
// rather than going through tfjs ops (which would create tracked tensors).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Attrs = tf.NamedAttrMap;

/** Runs the kernel registered for 'wasm' under `name` (ours where we replaced the stock one). */
export function callWasmKernel(
  name: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: Attrs = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm has no '${name}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

export function reshape(backend: BackendWasm, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return callWasmKernel(tf.Reshape, backend, { x }, { shape });
}

export function transpose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return callWasmKernel(tf.Transpose, backend, { x }, { perm });
}

/** Frees intermediates (reshapes share data with a reference count, so each one is released). */
export function release(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Swaps the last two axes. */
export function transposeLastTwo(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const rank = perm.length;
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose(backend, x, perm);
}

/** What tfjs passes a kernel function. */
export type KernelParams = Parameters<tf.KernelFunc>[0];
