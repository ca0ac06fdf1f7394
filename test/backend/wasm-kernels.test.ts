// Our wasm kernels against the reference 'cpu' backend: forward results and gradients over a grid
// of shapes, with no tensor or wasm buffer left behind. Error measure: max |wasm - cpu| divided
// by max |cpu| over the whole result (so near-zero elements do not inflate it).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../engine/backend/index';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientAsConv } from '../../engine/backend/wasm-kernels/conv2d';
import { depthwiseFilterGradientAsConv, depthwiseFilterGradientByTaps } from '../../engine/backend/wasm-kernels/depthwise';
import { filterGradientByTaps, planAxis } from '../../engine/backend/wasm-kernels/filter-gemm';
import { gradientConvInfo } from '../../engine/backend/wasm-kernels/geometry';
import { WASM_TRAINING_KERNELS } from '../../engine/backend/wasm-kernels/index';
import { Rng } from '../../engine/util/rng';
import {
  assertMatchesCpu,
  assertTrainsTinyConvNet,
  avgPoolCases,
  conv2dCases,
  convGrid,
  convOutShape,
  depthwiseCases,
  gradsOfWeighted,
  KernelCase,
  matMulCases,
  maxPoolCases,
  randomInput,
  sliceCases,
  STRIDES,
  sumCases,
  tileCases,
} from './kernel-grid';

before(async () => {
  await initBackend('wasm');
});

/** One test per case of the grid, named by the case. */
function matchesCpuFor(cases: Iterable<KernelCase>): void {
  for (const kernelCase of cases) {
    test(kernelCase.label, async () => {
      await assertMatchesCpu('wasm', kernelCase);
    });
  }
}

test('every kernel we add or replace is registered for wasm', () => {
  for (const name of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), name);
});

describe('conv2d on wasm matches cpu (output, input and filter gradients)', () => {
  matchesCpuFor(conv2dCases(new Rng(1)));
});

// The kernel picks one formulation per shape, so the grid alone would leave parts of each untested.
describe('each Conv2DBackpropFilter formulation on wasm matches cpu', () => {
  const formulations = { 'GEMM per tap': filterGradientByTaps, 'dilated conv': filterGradientAsConv };
  const rng = new Rng(7);
  for (const [name, formulation] of Object.entries(formulations)) {
    for (const { k, stride, pad, size, batch, label } of convGrid()) {
      const x = randomInput(rng, [batch, ...size, 3]);
      const filterShape = [k, k, 3, 4];
      const dy = randomInput(rng, convOutShape(x.shape, filterShape, stride, pad, false));
      const compute = (xs: tf.Tensor, dys: tf.Tensor) => {
        const attrs = { strides: stride, pad, filterShape, dataFormat: 'NHWC' };
        if (tf.getBackend() !== 'wasm') return [tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xs, dy: dys }, attrs) as tf.Tensor];
        const info = gradientConvInfo('Conv2DBackpropFilter', xs.shape, filterShape, attrs, false);
        return [tf.engine().makeTensorFromTensorInfo(formulation(tf.backend() as BackendWasm, xs, dys, info))];
      };
      test(`${name}: ${label}`, async () => {
        await assertMatchesCpu('wasm', { label, inputs: [x, dy], compute });
      });
    }
  }
});

describe('each DepthwiseConv2dNativeBackpropFilter formulation on wasm matches cpu', () => {
  const formulations = { 'by taps': depthwiseFilterGradientByTaps, 'dilated depthwise conv': depthwiseFilterGradientAsConv };
  const rng = new Rng(13);
  for (const [name, formulation] of Object.entries(formulations)) {
    for (const { k, stride, pad, size, batch, label } of convGrid()) {
      for (const multiplier of [1, 2]) {
        const x = randomInput(rng, [batch, ...size, 3]);
        const filterShape = [k, k, 3, multiplier];
        const dy = randomInput(rng, convOutShape(x.shape, filterShape, stride, pad, true));
        const compute = (xs: tf.Tensor, dys: tf.Tensor) => {
          const attrs = { strides: stride, pad, filterShape, dilations: 1 };
          if (tf.getBackend() !== 'wasm') return [tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: xs, dy: dys }, attrs) as tf.Tensor];
          const info = gradientConvInfo('DepthwiseConv2dNativeBackpropFilter', xs.shape, filterShape, attrs, true);
          return [tf.engine().makeTensorFromTensorInfo(formulation(tf.backend() as BackendWasm, xs, dys, info))];
        };
        test(`${name}: ${label} multiplier ${multiplier}`, async () => {
          await assertMatchesCpu('wasm', { label, inputs: [x, dy], compute });
        });
      }
    }
  }
});

test('the GEMM grid shares padding between rows and images', () => {
  // 28 rows, 3x3 filter, pad 1: each row's bottom padding is the next one's top padding.
  assert.equal(planAxis(28, 28, 3, 1, 1).size, 29);
  // A 1x1 filter at stride 2 reads every other row and needs no padding.
  assert.deepEqual(planAxis(28, 14, 1, 2, 0), { size: 14, phases: [{ origin: 0, start: 0, end: 14, taps: [0] }] });
  // Stride 2, 3x3, pad 1: phase 0 reads filter rows 0 and 2, from padded row 0 (input row -1).
  assert.deepEqual(planAxis(28, 14, 3, 2, 1).phases.map((p) => [p.origin, p.start, p.end, p.taps]), [[-1, 1, 15, [0, 2]], [0, 0, 14, [1]]]);
});

describe('depthwiseConv2d on wasm matches cpu (output, input and filter gradients)', () => {
  matchesCpuFor(depthwiseCases(new Rng(2)));
});

describe('conv2dTranspose (Conv2DBackpropInput forward) on wasm matches cpu', () => {
  const rng = new Rng(3);
  for (const stride of STRIDES) {
    for (const pad of ['same', 'valid'] as const) {
      for (const k of [2, 3]) {
        const label = `k${k} s${stride} ${pad}`;
        test(label, async () => {
          const inSize = 5;
          const outSize = pad === 'same' ? inSize * stride : (inSize - 1) * stride + k;
          const x = randomInput(rng, [2, inSize, inSize, 4]);
          const filter = randomInput(rng, [k, k, 3, 4]);
          const up = (a: tf.Tensor, b: tf.Tensor) =>
            tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, outSize, outSize, 3], stride, pad);
          await assertMatchesCpu('wasm', { label, inputs: [x, filter, randomInput(rng, [2, outSize, outSize, 3])], compute: gradsOfWeighted(up) });
        });
      }
    }
  }
});

describe('matMul with transposes on wasm matches cpu (output and gradients)', () => {
  matchesCpuFor(matMulCases(new Rng(4)));
});

describe('tile on wasm matches cpu', () => {
  matchesCpuFor(tileCases(new Rng(5)));

  test('int32 and bool tensors keep their values and type', async () => {
    await tf.setBackend('wasm');
    const ints = tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32');
    const bools = tf.tensor([true, false], [2, 1], 'bool');
    const tiledInts = tf.tile(ints, [2, 1]);
    const tiledBools = tf.tile(bools, [1, 3]);
    assert.equal(tiledInts.dtype, 'int32');
    assert.deepEqual(tiledInts.arraySync(), [[1, 2], [3, 4], [1, 2], [3, 4]]);
    assert.equal(tiledBools.dtype, 'bool');
    assert.deepEqual(tiledBools.arraySync(), [[1, 1, 1], [0, 0, 0]]);
    tf.dispose([ints, bools, tiledInts, tiledBools]);
  });
});

describe('maxPool gradient on wasm matches cpu', () => {
  matchesCpuFor(maxPoolCases(new Rng(8)));

  test('a window that is all padding or -Infinity passes no gradient', async () => {
    // The network pads max pools with -Infinity (PyTorch's padding) and pools with 'valid'.
    const x = randomInput(new Rng(9), [2, 5, 5, 3]);
    const pooled = (t: tf.Tensor) => tf.maxPool(tf.pad(t, [[0, 0], [3, 1], [1, 3], [0, 0]], -Infinity) as tf.Tensor4D, 3, 2, 'valid');
    // Only the gradient: the all-padding windows' outputs are -Infinity, which no relative error measures.
    const compute = (...xs: tf.Tensor[]) => tf.tidy(() => gradsOfWeighted(pooled)(...xs).slice(1));
    await assertMatchesCpu('wasm', { label: '-Infinity padding', inputs: [x, randomInput(new Rng(10), [2, 4, 4, 3])], compute });
  });
});

describe('avgPool gradient on wasm matches cpu', () => {
  matchesCpuFor(avgPoolCases(new Rng(14)));
});

describe('sum on wasm matches cpu', () => {
  matchesCpuFor(sumCases(new Rng(11)));
});

describe('slice and split on wasm match cpu (values and gradients)', () => {
  matchesCpuFor(sliceCases(new Rng(12)));

  test('int32 and bool slices keep their values and type', async () => {
    await tf.setBackend('wasm');
    const ints = tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    const bools = tf.tensor([true, false, true, true], [4], 'bool');
    const [left, right] = tf.split(ints, [1, 2], 1);
    const middle = tf.slice(bools, [1], [2]);
    assert.deepEqual([left.dtype, right.dtype, middle.dtype], ['int32', 'int32', 'bool']);
    assert.deepEqual([left.arraySync(), right.arraySync(), middle.arraySync()], [[[1], [4]], [[2, 3], [5, 6]], [0, 1]]);
    tf.dispose([ints, bools, left, right, middle]);
  });
});

test('identity on wasm shares the input and outlives it', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor([1, 2, 3, 4], [2, 2]);
  const buffers = tf.backend().numDataIds();
  const y = tf.clone(x);
  assert.equal(tf.backend().numDataIds(), buffers, 'a clone allocates nothing');
  x.dispose();
  assert.deepEqual(await y.data(), new Float32Array([1, 2, 3, 4]));
  y.dispose();
  assert.equal(tf.backend().numDataIds(), buffers - 1);
});

describe('training a tiny conv net on wasm', () => {
  test('loss decreases and steps leave no tensors or wasm buffers behind', async () => {
    await tf.setBackend('wasm');
    await assertTrainsTinyConvNet();
  });
});
