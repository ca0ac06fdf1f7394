// DepthwiseConv2dNative gradients on wasm, which has neither, as XNNPACK depthwise convolutions.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, type KernelParams, release, reshape, transpose } from './calls';
import { cropNegativePads, explicitPadding, filterGradientPads, gradientConvInfo, stuffedOutputGradient } from './geometry';

/**
 * dW: a depthwise conv with (batch x channels) as channels, the input as image and dy (dilated
 * by the stride) as the per-channel filters, then a sum over the batch.
 */
export function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const filterShape = attrs!.filterShape as number[];
  const info = gradientConvInfo('DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, attrs!, true);
  const [batch, height, width, channels] = x.shape;
  const [filterHeight, filterWidth, , multiplier] = filterShape;

  const batchInnerX = transpose(wasm, x, [1, 2, 0, 3]);
  const image = reshape(wasm, batchInnerX, [1, height, width, batch * channels]);
  const source = cropNegativePads(wasm, image, filterGradientPads(info));
  const batchInnerDy = transpose(wasm, dy, [1, 2, 0, 3]);
  const dyFilter = reshape(wasm, batchInnerDy, [info.outHeight, info.outWidth, batch * channels, multiplier]);
  const perSample = callWasmKernel(tf.DepthwiseConv2dNative, wasm, { x: source.x, filter: dyFilter }, {
    strides: [1, 1],
    dilations: [info.strideHeight, info.strideWidth],
    pad: explicitPadding(source.pads),
  });
  const bySample = reshape(wasm, perSample, [filterHeight, filterWidth, batch, channels * multiplier]);
  const summed = callWasmKernel(tf.Sum, wasm, { x: bySample }, { axis: [2], keepDims: false });
  const dW = reshape(wasm, summed, filterShape);
  release(wasm, batchInnerX, image, source.x, batchInnerDy, dyFilter, perSample, bySample, summed);
  return dW;
}

/**
 * dx: a stride-1 depthwise conv of the zero-stuffed dy with the flipped filter, one filter per
 * output channel, then a sum over each input channel's multiplier outputs.
 */
export function depthwiseBackpropInput({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const inputShape = attrs!.inputShape as number[];
  const info = gradientConvInfo('DepthwiseConv2dNativeBackpropInput', inputShape, filter.shape, attrs!, true);
  const [filterHeight, filterWidth, channels, multiplier] = filter.shape;

  const flipped = callWasmKernel(tf.Reverse, wasm, { x: filter }, { dims: [0, 1] });
  const perOutputChannel = reshape(wasm, flipped, [filterHeight, filterWidth, channels * multiplier, 1]);
  const source = stuffedOutputGradient(wasm, dy, info);
  const products = callWasmKernel(tf.DepthwiseConv2dNative, wasm, { x: source.x, filter: perOutputChannel }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: source.pad,
  });
  const byMultiplier = reshape(wasm, products, [...inputShape, multiplier]);
  const dx = callWasmKernel(tf.Sum, wasm, { x: byMultiplier }, { axis: [4], keepDims: false });
  release(wasm, flipped, perOutputChannel, source.x, products, byMultiplier);
  return dx;
}
