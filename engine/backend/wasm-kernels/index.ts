// Makes the wasm backend train: registers the gradient kernels it lacks and replaces the stock
// kernels that are slow enough to dominate a training step (measurements: docs/compute.md).
import * as tf from '@tensorflow/tfjs-core';
import { avgPoolGrad } from './avg-pool';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise';
import { identitySharing } from './identity';
import { batchMatMulTransposingFirst } from './matmul';
import { maxPoolGrad } from './max-pool';
import { sumLeadingAxes } from './reduce';
import { sliceByRuns, splitBySlices } from './slice';
import { tileByBlocks } from './tile';

/** Kernels this module adds to wasm or puts in place of wasm's own. */
export const WASM_TRAINING_KERNELS = [
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.BatchMatMul,
  tf.Tile,
  tf.Identity,
  tf.MaxPoolGrad,
  tf.AvgPoolGrad,
  tf.Sum,
  tf.Slice,
  tf.SplitV,
] as const;

let registered = false;
const replacedStock = new Map<string, tf.KernelConfig>();

/** The stock wasm kernel we put ours in place of (still set up), to compare the two. */
export function stockWasmKernel(kernelName: string): tf.KernelConfig | undefined {
  return replacedStock.get(kernelName);
}

/**
 * Registers the kernels for 'wasm'; call before `tf.setBackend('wasm')` so that their setup
 * runs. Safe to call again.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  register(tf.Conv2DBackpropFilter, conv2DBackpropFilter);
  register(tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter);
  register(tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput);
  replace(tf.Conv2DBackpropInput, () => conv2DBackpropInput);
  replace(tf.BatchMatMul, batchMatMulTransposingFirst);
  replace(tf.Tile, heapTensorsOnly(tileByBlocks));
  replace(tf.Identity, heapTensorsOnly(identitySharing));
  replace(tf.MaxPoolGrad, () => maxPoolGrad);
  replace(tf.AvgPoolGrad, () => avgPoolGrad);
  replace(tf.Sum, sumLeadingAxes);
  replace(tf.Slice, heapTensorsOnly(sliceByRuns));
  replace(tf.SplitV, heapTensorsOnly(splitBySlices));
  registered = true;
}

/** `ours` for tensors on the wasm heap; string tensors (kept outside it) go to the stock kernel. */
function heapTensorsOnly(ours: tf.KernelFunc): (stock: tf.KernelFunc) => tf.KernelFunc {
  return (stock) => (params) => ((params.inputs as { x: tf.TensorInfo }).x.dtype === 'string' ? stock(params) : ours(params));
}

function register(kernelName: string, kernelFunc: tf.KernelFunc): void {
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/**
 * Puts our kernel in place of the stock one. The stock setup (which binds its wasm function)
 * is kept so that the stock kernel function still works: ours may delegate to it.
 */
function replace(kernelName: string, make: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock === undefined) throw new Error(`wasm has no stock '${kernelName}' kernel to replace`);
  tf.unregisterKernel(kernelName, 'wasm');
  replacedStock.set(kernelName, stock);
  tf.registerKernel({ ...stock, kernelFunc: make(stock.kernelFunc) });
}
