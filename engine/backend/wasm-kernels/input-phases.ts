// Input gradients of conv2d and depthwise conv, as stride-1 convolutions of dy with the flipped
// filter: of the zero-stuffed dy, or for conv2d with strides above 1 by output phase. Input rows
// whose padded index has residue r mod stride s only receive the filter rows r, r + s, ...: each
// phase of dx is a stride-1 conv of dy with that sub-filter, flipped, scattered to every s-th row
// and column of dx; the zero-stuffed form multiplies s*s times as many zeros.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, release, reshape, transpose } from './calls';
import { cropNegativePads, explicitPadding, stuffedOutputGradient } from './geometry';

type Conv2DInfo = tf.backend_util.Conv2DInfo;
type Padding = tf.backend_util.ExplicitPadding | 'valid';

/**
 * A stride-1 convolution of dy (NHWC) with a spatially flipped filter in its forward layout: a
 * conv2d's [kh, kw, C, F] or a depthwise conv's [kh, kw, C, M]. Returns [N, H, W, C].
 */
export type FlippedFilterConv = (backend: BackendWasm, dy: tf.TensorInfo, flipped: tf.TensorInfo, pad: Padding) => tf.TensorInfo;

export const convWithFlipped: FlippedFilterConv = (backend, dy, flipped, pad) => {
  const filter = transpose(backend, flipped, [0, 1, 3, 2]);
  const dx = callWasmKernel(tf.Conv2D, backend, { x: dy, filter }, { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' });
  release(backend, filter);
  return dx;
};

/** Each of the C x M outputs with its own filter, then a sum over each input channel's M outputs. */
export const depthwiseWithFlipped: FlippedFilterConv = (backend, dy, flipped, pad) => {
  const [rows, cols, channels, multiplier] = flipped.shape;
  const perOutput = reshape(backend, flipped, [rows, cols, channels * multiplier, 1]);
  const products = callWasmKernel(tf.DepthwiseConv2dNative, backend, { x: dy, filter: perOutput }, { strides: [1, 1], dilations: [1, 1], pad });
  release(backend, perOutput);
  if (multiplier === 1) return products;
  const byMultiplier = reshape(backend, products, [...products.shape.slice(0, 3), channels, multiplier]);
  const dx = callWasmKernel(tf.Sum, backend, { x: byMultiplier }, { axis: [4], keepDims: false });
  release(backend, products, byMultiplier);
  return dx;
};

/** dx with stride 1 (or any stride, zero-stuffing dy): dy convolved with the flipped filter. */
export function inputGradientByStuffing(backend: BackendWasm, dy: tf.TensorInfo, filter: tf.TensorInfo, info: Conv2DInfo, convolve: FlippedFilterConv): tf.TensorInfo {
  const flipped = callWasmKernel(tf.Reverse, backend, { x: filter }, { dims: [0, 1] });
  const source = stuffedOutputGradient(backend, dy, info);
  const dx = convolve(backend, source.x, flipped, source.pad);
  release(backend, flipped, source.x);
  return dx;
}

/** Whether the phase form pays: with stride 1 there is one phase and nothing to skip. */
export function phasesPay(info: Conv2DInfo): boolean {
  return info.strideHeight > 1 || info.strideWidth > 1;
}

/**
 * Copies phase (r, q) of dx, [N, phaseHeight, phaseWidth, C] over the padded input, to its
 * positions in dx: padded row sh * a + r, column sw * b + q, less the padding.
 */
function scatterPhase(phase: Float32Array, info: Conv2DInfo, r: number, q: number, dx: Float32Array): void {
  const { strideHeight: sh, strideWidth: sw, batchSize, inHeight, inWidth, inChannels } = info;
  const [phaseHeight, phaseWidth] = phaseSize(info);
  const rowOffset = r - info.padInfo.top;
  const colOffset = q - info.padInfo.left;
  const firstB = Math.max(0, Math.ceil(-colOffset / sw));
  const endB = Math.min(phaseWidth, Math.floor((inWidth - 1 - colOffset) / sw) + 1);
  for (let n = 0; n < batchSize; n++) {
    for (let a = Math.max(0, Math.ceil(-rowOffset / sh)); a < phaseHeight; a++) {
      const h = sh * a + rowOffset;
      if (h >= inHeight) break;
      for (let b = firstB; b < endB; b++) {
        const from = ((n * phaseHeight + a) * phaseWidth + b) * inChannels;
        const to = ((n * inHeight + h) * inWidth + sw * b + colOffset) * inChannels;
        for (let c = 0; c < inChannels; c++) dx[to + c] = phase[from + c];
      }
    }
  }
}

/** Rows and columns of a phase image: together the phases cover the padded input's top-left. */
function phaseSize(info: Conv2DInfo): [number, number] {
  return [Math.ceil((info.padInfo.top + info.inHeight) / info.strideHeight), Math.ceil((info.padInfo.left + info.inWidth) / info.strideWidth)];
}

/** One phase of dx: a stride-1 conv of dy with the phase's flipped sub-filter. */
function phaseGradient(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: Conv2DInfo,
  r: number,
  q: number,
  convolve: FlippedFilterConv,
): tf.TensorInfo {
  const [phaseHeight, phaseWidth] = phaseSize(info);
  const sub = callWasmKernel(tf.StridedSlice, backend, { x: filter }, {
    begin: [r, q, 0, 0],
    end: filter.shape,
    strides: [info.strideHeight, info.strideWidth, 1, 1],
    beginMask: 0,
    endMask: 0,
    ellipsisMask: 0,
    newAxisMask: 0,
    shrinkAxisMask: 0,
  });
  const [rows, cols] = sub.shape;
  const flipped = callWasmKernel(tf.Reverse, backend, { x: sub }, { dims: [0, 1] });
  const source = cropNegativePads(backend, dy, {
    top: rows - 1,
    bottom: phaseHeight - info.outHeight,
    left: cols - 1,
    right: phaseWidth - info.outWidth,
  });
  const phase = convolve(backend, source.x, flipped, explicitPadding(source.pads));
  release(backend, sub, flipped, source.x);
  return phase;
}

/** dx by output phase. */
export function inputGradientByPhases(backend: BackendWasm, dy: tf.TensorInfo, filter: tf.TensorInfo, info: Conv2DInfo, convolve: FlippedFilterConv): tf.TensorInfo {
  const dx = backend.makeOutput([info.batchSize, info.inHeight, info.inWidth, info.inChannels], 'float32');
  // Phases past the filter's size (a 1x1 filter's odd rows) receive nothing.
  backend.typedArrayFromHeap(dx).fill(0);
  for (let r = 0; r < Math.min(info.strideHeight, info.filterHeight); r++) {
    for (let q = 0; q < Math.min(info.strideWidth, info.filterWidth); q++) {
      const phase = phaseGradient(backend, dy, filter, info, r, q, convolve);
      // Views are taken after the allocation: growing the heap detaches older views.
      scatterPhase(backend.typedArrayFromHeap(phase) as Float32Array, info, r, q, backend.typedArrayFromHeap(dx) as Float32Array);
      release(backend, phase);
    }
  }
  return dx;
}
