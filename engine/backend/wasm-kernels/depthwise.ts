// DepthwiseConv2dNative gradients on wasm, which has neither: the filter gradient by taps or as
// an XNNPACK depthwise convolution, the input gradient as one (input-phases.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, type KernelParams, release, reshape, transpose } from './calls';
import { outputGradientOnGrid, planFilterGemm, writePhase } from './filter-gemm';
import { cropNegativePads, explicitPadding, filterGradientPads, gradientConvInfo } from './geometry';
import { heapView, releaseView } from './heap-view';
import { depthwiseWithFlipped, inputGradientByStuffing } from './input-phases';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/**
 * dW: by filter tap where dy has more pixels than the filter, else as one depthwise conv with dy
 * as the filter (2x2 maps and a 3x3 filter: 0.6x the time of the taps).
 */
export function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const info = gradientConvInfo('DepthwiseConv2dNativeBackpropFilter', x.shape, attrs!.filterShape as number[], attrs!, true);
  const taps = info.outHeight * info.outWidth > info.filterHeight * info.filterWidth;
  return taps ? depthwiseFilterGradientByTaps(wasm, x, dy, info) : depthwiseFilterGradientAsConv(wasm, x, dy, info);
}

/**
 * dW: a depthwise conv with (batch x channels) as channels, the input as image and dy (dilated
 * by the stride) as the per-channel filters, then a sum over the batch.
 */
export function depthwiseFilterGradientAsConv(wasm: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const { filterHeight, filterWidth } = info;
  const multiplier = info.outChannels / channels;
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
  const dW = reshape(wasm, summed, [filterHeight, filterWidth, channels, multiplier]);
  release(wasm, batchInnerX, image, source.x, batchInnerDy, dyFilter, perSample, bySample, summed);
  return dW;
}

/**
 * dW by filter tap on the grid of filter-gemm.ts, channels last: a tap's [C] block for
 * multiplier m is the column sums of (the phase grid shifted by the tap) x (dy's outputs m),
 * element-wise. The depthwise conv of (batch x channels) with dy as one huge dilated filter, which
 * XNNPACK's small-filter kernels run at a twentieth of the forward rate, was 1.3-6x slower.
 */
export function depthwiseFilterGradientByTaps(wasm: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const { filterWidth, inChannels: channels } = info;
  const multiplier = info.outChannels / channels;
  const filterShape = [info.filterHeight, filterWidth, channels, multiplier];
  const plan = planFilterGemm(info);
  // dy by multiplier, [M, positions, C]: each multiplier's block is contiguous, so the products
  // are same-shape multiplies (a broadcasting one over M = 2 took 6x as long).
  const padded = outputGradientOnGrid(wasm, dy, info, plan);
  const grid = reshape(wasm, padded, [plan.positions, channels, multiplier]);
  const byMultiplier = transpose(wasm, grid, [2, 0, 1]);
  const dW = wasm.makeOutput(filterShape, 'float32');
  const phaseImage = wasm.makeOutput([(plan.positions + plan.maxOffset) * channels], 'float32');
  const blockSize = plan.positions * channels;
  for (const phase of plan.phases) {
    // Views are taken after each allocation: growing the heap detaches older views.
    const image = wasm.typedArrayFromHeap(phaseImage) as Float32Array;
    image.fill(0);
    writePhase(wasm.typedArrayFromHeap(x) as Float32Array, info, plan, phase, false, image);
    for (const tap of phase.taps) {
      const shifted = heapView(wasm, phaseImage, tap.offset * channels, [plan.positions, channels]);
      for (let m = 0; m < multiplier; m++) {
        const outputs = heapView(wasm, byMultiplier, m * blockSize, [plan.positions, channels]);
        const products = callWasmKernel(tf.Multiply, wasm, { a: shifted, b: outputs });
        const sums = callWasmKernel(tf.Sum, wasm, { x: products }, { axis: [0], keepDims: false });
        const column = wasm.typedArrayFromHeap(sums);
        const block = wasm.typedArrayFromHeap(dW);
        const at = (tap.row * filterWidth + tap.col) * channels * multiplier + m;
        for (let c = 0; c < channels; c++) block[at + c * multiplier] = column[c];
        releaseView(wasm, outputs);
        release(wasm, products, sums);
      }
      releaseView(wasm, shifted);
    }
  }
  release(wasm, padded, grid, byMultiplier, phaseImage);
  return dW;
}

/**
 * dx: a depthwise conv of the zero-stuffed dy with the flipped filter. Unlike conv2d's, this
 * gains nothing by output phase: the depthwise convs are cheap next to scattering the phases.
 */
export function depthwiseBackpropInput({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const info = gradientConvInfo('DepthwiseConv2dNativeBackpropInput', attrs!.inputShape as number[], filter.shape, attrs!, true);
  return inputGradientByStuffing(backend as BackendWasm, dy, filter, info, depthwiseWithFlipped);
}
