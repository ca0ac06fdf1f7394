// Conv2D gradients on wasm through XNNPACK: GEMMs (filter-gemm.ts) or forward convolutions
// (see geometry.ts for the padding).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, type KernelParams, release, transpose } from './calls';
import { cropNegativePads, explicitPadding, filterGradientPads, gradientConvInfo } from './geometry';
import { filterGradientByTaps, planFilterGemm, tapsPay } from './filter-gemm';
import { convWithFlipped, inputGradientByPhases, inputGradientByStuffing, phasesPay } from './input-phases';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** dW: one GEMM per filter tap where its grid wastes little, else the dilated-convolution form. */
export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const info = gradientConvInfo('Conv2DBackpropFilter', x.shape, attrs!.filterShape as number[], attrs!, false);
  const plan = planFilterGemm(info);
  return tapsPay(plan, info) ? filterGradientByTaps(wasm, x, dy, info, plan) : filterGradientAsConv(wasm, x, dy, info);
}

/** dW as a conv of the input (batch and channels swapped) with dy as a filter dilated by the stride. */
export function filterGradientAsConv(wasm: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const channelsAsBatch = transpose(wasm, x, [3, 1, 2, 0]);
  const source = cropNegativePads(wasm, channelsAsBatch, filterGradientPads(info));
  const dyAsFilter = transpose(wasm, dy, [1, 2, 0, 3]);
  const grad = callWasmKernel(tf.Conv2D, wasm, { x: source.x, filter: dyAsFilter }, {
    strides: [1, 1],
    dilations: [info.strideHeight, info.strideWidth],
    pad: explicitPadding(source.pads),
    dataFormat: 'NHWC',
  });
  const dW = transpose(wasm, grad, [1, 2, 0, 3]);
  release(wasm, channelsAsBatch, source.x, dyAsFilter, grad);
  return dW;
}

/** dx: by output phase for strides above 1, else a conv of dy with the flipped, transposed filter. */
export function conv2DBackpropInput({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const info = gradientConvInfo('Conv2DBackpropInput', attrs!.inputShape as number[], filter.shape, attrs!, false);
  const byPhases = phasesPay(info);
  return (byPhases ? inputGradientByPhases : inputGradientByStuffing)(wasm, dy, filter, info, convWithFlipped);
}
