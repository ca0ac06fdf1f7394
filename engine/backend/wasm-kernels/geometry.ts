// Padding arithmetic that turns convolution gradients into forward convolutions, which wasm runs
// through XNNPACK. Pads may come out negative: the caller then crops instead of padding.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel } from './calls';

export interface SpatialPads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Geometry of the forward convolution whose gradient a kernel computes (NHWC, dilation 1). */
export function gradientConvInfo(
  op: string,
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const format = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC');
  if (format !== 'channelsLast') throw new Error(`wasm ${op} supports only the NHWC data format`);
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  if (!tf.backend_util.tupleValuesAreOne(dilations)) {
    throw new Error(`wasm ${op} supports only dilations of 1 (tfjs gradients need no more)`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    format,
  );
}

/**
 * The input gradient is a stride-1 convolution of the zero-stuffed output gradient (rows and
 * columns `stride` apart) with the flipped filter; these pads make its output exactly the
 * input's size.
 */
function inputGradientPads(info: Conv2DInfo): SpatialPads {
  const stuffedHeight = (info.outHeight - 1) * info.strideHeight + 1;
  const stuffedWidth = (info.outWidth - 1) * info.strideWidth + 1;
  return {
    top: info.filterHeight - 1 - info.padInfo.top,
    bottom: info.inHeight - stuffedHeight + info.padInfo.top,
    left: info.filterWidth - 1 - info.padInfo.left,
    right: info.inWidth - stuffedWidth + info.padInfo.left,
  };
}

/**
 * The filter gradient is a convolution of the input with the output gradient as filter, dilated
 * by the stride; these pads make its output exactly the filter's spatial size. Bottom and right
 * are negative when the forward pass never read the input's last rows or columns.
 */
export function filterGradientPads(info: Conv2DInfo): SpatialPads {
  const spanHeight = (info.outHeight - 1) * info.strideHeight;
  const spanWidth = (info.outWidth - 1) * info.strideWidth;
  return {
    top: info.padInfo.top,
    bottom: info.filterHeight + spanHeight - info.inHeight - info.padInfo.top,
    left: info.padInfo.left,
    right: info.filterWidth + spanWidth - info.inWidth - info.padInfo.left,
  };
}

function isNonNegative(pads: SpatialPads): boolean {
  return pads.top >= 0 && pads.bottom >= 0 && pads.left >= 0 && pads.right >= 0;
}

/** tfjs explicit padding for NHWC. */
export function explicitPadding(pads: SpatialPads): tf.backend_util.ExplicitPadding {
  return [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]];
}

/**
 * Drops a 4-D NHWC tensor's bottom rows / right columns where `pads` are negative and returns
 * the pads that remain (non-negative). The caller releases the returned tensor.
 */
export function cropNegativePads(
  backend: BackendWasm,
  x: tf.TensorInfo,
  pads: SpatialPads,
): { x: tf.TensorInfo; pads: SpatialPads } {
  if (isNonNegative(pads)) {
    backend.incRef(x.dataId);
    return { x, pads };
  }
  const [batch, height, width, channels] = x.shape;
  const size = [batch, height + Math.min(0, pads.bottom), width + Math.min(0, pads.right), channels];
  const cropped = callWasmKernel(tf.Slice, backend, { x }, { begin: [0, 0, 0, 0], size });
  return {
    x: cropped,
    pads: { ...pads, bottom: Math.max(0, pads.bottom), right: Math.max(0, pads.right) },
  };
}

/**
 * Writes NHWC float32 `x` into a zeroed buffer with its rows and columns `stride` apart and the
 * given pads around (negative pads drop rows or columns). Block copies, one per input row when
 * the column stride is 1 and one per pixel otherwise.
 */
export function stuffAndPad(
  backend: BackendWasm,
  x: tf.TensorInfo,
  strideHeight: number,
  strideWidth: number,
  pads: SpatialPads,
): tf.TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const outHeight = (height - 1) * strideHeight + 1 + pads.top + pads.bottom;
  const outWidth = (width - 1) * strideWidth + 1 + pads.left + pads.right;
  const out = backend.makeOutput([batch, outHeight, outWidth, channels], 'float32');
  // Views are taken after makeOutput: allocating may grow the heap and detach older views.
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  dst.fill(0);
  const firstCol = Math.max(0, Math.ceil(-pads.left / strideWidth));
  const lastCol = Math.min(width - 1, Math.floor((outWidth - 1 - pads.left) / strideWidth));
  if (lastCol < firstCol) return out;
  for (let n = 0; n < batch; n++) {
    for (let row = 0; row < height; row++) {
      const outRow = row * strideHeight + pads.top;
      if (outRow < 0 || outRow >= outHeight) continue;
      const srcRow = ((n * height + row) * width) * channels;
      const dstRow = ((n * outHeight + outRow) * outWidth) * channels;
      if (strideWidth === 1) {
        const from = srcRow + firstCol * channels;
        dst.set(src.subarray(from, srcRow + (lastCol + 1) * channels), dstRow + (firstCol + pads.left) * channels);
        continue;
      }
      for (let col = firstCol; col <= lastCol; col++) {
        const from = srcRow + col * channels;
        dst.set(src.subarray(from, from + channels), dstRow + (col * strideWidth + pads.left) * channels);
      }
    }
  }
  return out;
}

/**
 * The output gradient laid out for the stride-1 convolution that computes the input gradient:
 * when the stride is 1 and no pad is negative, the gradient itself with the convolution doing
 * the padding; otherwise a zero-stuffed, padded copy. The caller releases the returned tensor.
 */
export function stuffedOutputGradient(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  info: Conv2DInfo,
): { x: tf.TensorInfo; pad: tf.backend_util.ExplicitPadding | 'valid' } {
  const pads = inputGradientPads(info);
  if (info.strideHeight === 1 && info.strideWidth === 1 && isNonNegative(pads)) {
    backend.incRef(dy.dataId);
    return { x: dy, pad: explicitPadding(pads) };
  }
  return { x: stuffAndPad(backend, dy, info.strideHeight, info.strideWidth, pads), pad: 'valid' };
}
