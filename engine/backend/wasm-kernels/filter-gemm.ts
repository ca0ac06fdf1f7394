// Conv2DBackpropFilter as GEMMs over shifted windows of the transposed input, with no im2col.
//
// dW[i, j, c, f] = sum over (n, oh, ow) of xpad[n, s*oh + i, s*ow + j, c] * dy[n, oh, ow, f].
// Split the padded input by phase (i mod s, j mod s): each phase is a stride-1 problem whose taps
// (i div s, j div s) are shifts on a common grid of N x gridHeight x gridWidth positions. Lay each
// phase out transposed, one row of grid positions per channel, and dy on the same grid (zero where
// there is no output): then a tap's [C, F] block is (the phase rows shifted by the tap's offset)
// x dy, and a shifted window of contiguous rows is only a different start address. XNNPACK packs
// dy once and reuses it for every tap.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, release, reshape } from './calls';
import { heapView, releaseView } from './heap-view';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Grid positions per output position above which the dilated-convolution form is used. */
const MAX_GRID_WASTE = 1.3;

export interface Tap {
  /** Filter row and column. */
  row: number;
  col: number;
  /** Shift on the grid, in grid positions. */
  offset: number;
}

/** One phase along one axis: the padded input's positions phase, phase + stride, ... */
export interface AxisPhase {
  /** Input index of the phase's grid position 0 (negative in the padding). */
  origin: number;
  /** Grid positions [start, end) hold input values the gradient reads; the rest are zero. */
  start: number;
  end: number;
  /** Filter indices of this phase: phase, phase + stride, ... below the kernel size. */
  taps: number[];
}

export interface AxisPlan {
  /** Grid positions per image along the axis. */
  size: number;
  phases: AxisPhase[];
}

/**
 * The grid along one axis. A phase's grid positions past its input data are zeros, and reading
 * past the end of a grid row (or image) lands at the start of the next, which is zero too when
 * the grid is long enough: so the padding needs no positions of its own beyond what the
 * conditions below ask.
 */
export function planAxis(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number): AxisPlan {
  const phases: AxisPhase[] = [];
  let size = outSize;
  for (let phase = 0; phase < Math.min(stride, kernel); phase++) {
    const origin = phase - padBefore;
    const taps: number[] = [];
    for (let tap = phase; tap < kernel; tap += stride) taps.push(tap);
    // An output at position o reads positions o .. o + taps.length - 1.
    const read = outSize + taps.length - 1;
    const start = Math.max(0, Math.ceil(-origin / stride));
    const end = Math.min(read, Math.floor((inSize - 1 - origin) / stride) + 1);
    // Data must fit in the row, and a read past the row's end must land before the next row's data.
    size = Math.max(size, end, read - start);
    phases.push({ origin, start, end, taps });
  }
  return { size, phases };
}

export interface Phase {
  rows: AxisPhase;
  cols: AxisPhase;
  taps: Tap[];
}

export interface FilterGemmPlan {
  gridHeight: number;
  gridWidth: number;
  /** Grid positions per channel row: batch x gridHeight x gridWidth. */
  positions: number;
  /** The largest tap offset: the transposed input needs this many elements after its last row. */
  maxOffset: number;
  phases: Phase[];
}

/** How the filter gradient of `info` splits into phases and taps (pure). */
export function planFilterGemm(info: Conv2DInfo): FilterGemmPlan {
  const rows = planAxis(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = planAxis(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  const shift = (tap: number, phase: AxisPhase, stride: number) => (tap - phase.taps[0]) / stride;
  const phases = rows.phases.flatMap((r) =>
    cols.phases.map((c) => ({
      rows: r,
      cols: c,
      taps: r.taps.flatMap((row) =>
        c.taps.map((col) => ({ row, col, offset: shift(row, r, info.strideHeight) * cols.size + shift(col, c, info.strideWidth) })),
      ),
    })),
  );
  const maxOffset = Math.max(...phases.flatMap((p) => p.taps.map((t) => t.offset)));
  return { gridHeight: rows.size, gridWidth: cols.size, positions: info.batchSize * rows.size * cols.size, maxOffset, phases };
}

/**
 * Whether the GEMMs beat the dilated-convolution form: they also multiply the grid's zero
 * positions, which small maps have in proportion (a 7x7 map with a 3x3 filter: an 8x8 grid,
 * where the two forms took the same time in bench/conv-filter-gradient).
 */
export function tapsPay(plan: FilterGemmPlan, info: Conv2DInfo): boolean {
  return plan.gridHeight * plan.gridWidth <= MAX_GRID_WASTE * info.outHeight * info.outWidth;
}

/**
 * Writes one phase of the NHWC input `x` on the grid: grid position (n, u, v) takes input row
 * stride * u + origin and column stride * v + origin. Transposed, channel c's position p goes to
 * dst[c * positions + p] (one row of positions per channel); else to dst[p * C + c] (NHWC).
 * `dst` must be zeroed: only the phase's data positions are written.
 */
export function writePhase(x: Float32Array, info: Conv2DInfo, plan: FilterGemmPlan, phase: Phase, transposed: boolean, dst: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, strideHeight: sh, strideWidth: sw } = info;
  const { gridHeight, gridWidth } = plan;
  const { rows, cols } = phase;
  const channelStride = transposed ? plan.positions : 1;
  const positionStride = transposed ? 1 : inChannels;
  for (let n = 0; n < batchSize; n++) {
    for (let u = rows.start; u < rows.end; u++) {
      const gridRow = (n * gridHeight + u) * gridWidth;
      const inputRow = (n * inHeight + sh * u + rows.origin) * inWidth;
      for (let v = cols.start; v < cols.end; v++) {
        const from = (inputRow + sw * v + cols.origin) * inChannels;
        const to = (gridRow + v) * positionStride;
        for (let c = 0; c < inChannels; c++) dst[to + c * channelStride] = x[from + c];
      }
    }
  }
}

/**
 * dy on the grid, [N, gridHeight, gridWidth, F], zero where the grid has no output. Always a
 * fresh tensor: XNNPACK caches its packing of a GEMM operand under the tensor's id, whatever
 * shape the id is later used with, so dy's own id must not carry it.
 */
export function outputGradientOnGrid(backend: BackendWasm, dy: tf.TensorInfo, info: Conv2DInfo, plan: FilterGemmPlan): tf.TensorInfo {
  const paddings = [[0, 0], [0, plan.gridHeight - info.outHeight], [0, plan.gridWidth - info.outWidth], [0, 0]];
  return callWasmKernel(tf.PadV2, backend, { x: dy }, { paddings, constantValue: 0 });
}

/** The filter gradient of a conv2d (NHWC, dilation 1) as one GEMM per filter tap. */
export function filterGradientByTaps(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: Conv2DInfo,
  plan = planFilterGemm(info),
): tf.TensorInfo {
  const { inChannels: c, outChannels: f, filterHeight: kh, filterWidth: kw } = info;
  const padded = outputGradientOnGrid(backend, dy, info, plan);
  const grid = reshape(backend, padded, [1, plan.positions, f]);
  const dW = backend.makeOutput([kh, kw, c, f], 'float32');
  const transposed = backend.makeOutput([c * plan.positions + plan.maxOffset], 'float32');
  for (const phase of plan.phases) {
    // Views are taken after each allocation: growing the heap detaches older views.
    const rows = backend.typedArrayFromHeap(transposed) as Float32Array;
    rows.fill(0);
    writePhase(backend.typedArrayFromHeap(x) as Float32Array, info, plan, phase, true, rows);
    for (const tap of phase.taps) {
      const shifted = heapView(backend, transposed, tap.offset, [1, c, plan.positions]);
      const block = callWasmKernel(tf.BatchMatMul, backend, { a: shifted, b: grid }, { transposeA: false, transposeB: false });
      backend.typedArrayFromHeap(dW).set(backend.typedArrayFromHeap(block), (tap.row * kw + tap.col) * c * f);
      releaseView(backend, shifted);
      release(backend, block);
    }
  }
  release(backend, padded, grid, transposed);
  return dW;
}
