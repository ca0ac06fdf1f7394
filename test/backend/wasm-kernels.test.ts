// Our wasm kernels against the reference 'cpu' backend: forward results and gradients over a grid
// of shapes, with no tensor or wasm buffer left behind. Error measure: max |wasm - cpu| divided
// by max |cpu| over the whole result (so near-zero elements do not inflate it).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../engine/backend/index';
import { WASM_TRAINING_KERNELS } from '../../engine/backend/wasm-kernels/index';
import { Rng } from '../../engine/util/rng';

const TOLERANCE = 1e-4;

interface Input {
  shape: number[];
  values: Float32Array;
}

function randomInput(rng: Rng, shape: number[]): Input {
  return { shape, values: Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal()) };
}

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

function wasmDataIds(): number {
  return (tf.backend() as BackendWasm).numDataIds();
}

/** Runs `compute` on `backend` with fresh tensors made from `inputs`; returns plain arrays. */
async function runOn(
  backend: 'wasm' | 'cpu',
  inputs: Input[],
  compute: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = inputs.map((input) => tf.tensor(input.values, input.shape));
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = backend === 'wasm' ? wasmDataIds() : 0;
  const outputs = compute(...tensors);
  const values = outputs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outputs);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${backend}: tensors leaked`);
  if (backend === 'wasm') assert.equal(wasmDataIds(), idsBefore, 'wasm: data buffers leaked');
  tf.dispose(tensors);
  return values;
}

async function assertMatchesCpu(label: string, inputs: Input[], compute: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const onWasm = await runOn('wasm', inputs, compute);
  const onCpu = await runOn('cpu', inputs, compute);
  onCpu.forEach((expected, i) => {
    assert.deepEqual(onWasm[i].length, expected.length, `${label}: output ${i} size`);
    const error = relativeError(onWasm[i], expected);
    assert.ok(error < TOLERANCE, `${label}: output ${i} relative error ${error}`);
  });
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

const KERNELS = [1, 3, 5];
const STRIDES = [1, 2];
// Explicit pads larger than a 1x1 kernel's reach exercise the cropping paths.
const PADS: Pad[] = ['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]];
const SIZES: [number, number][] = [[7, 7], [8, 6]];
const BATCHES = [1, 3];

function* convGrid(): Generator<{ k: number; stride: number; pad: Pad; size: [number, number]; batch: number; label: string }> {
  for (const k of KERNELS) {
    for (const stride of STRIDES) {
      for (const pad of PADS) {
        for (const size of SIZES) {
          for (const batch of BATCHES) {
            const label = `k${k} s${stride} pad ${JSON.stringify(pad)} ${size.join('x')} batch ${batch}`;
            yield { k, stride, pad, size, batch, label };
          }
        }
      }
    }
  }
}

/** Gradients of a weighted sum of `f`'s output (random weights, so every output element counts). */
function gradsOfWeighted(f: (...xs: tf.Tensor[]) => tf.Tensor): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const weights = xs[xs.length - 1];
    const args = xs.slice(0, -1);
    const grad = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), weights)));
    return [f(...args), ...grad(args)];
  };
}

before(async () => {
  await initBackend('wasm');
});

test('every kernel we add or replace is registered for wasm', () => {
  for (const name of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), name);
});

describe('conv2d on wasm matches cpu (output, input and filter gradients)', () => {
  const rng = new Rng(1);
  for (const { k, stride, pad, size, batch, label } of convGrid()) {
    test(label, async () => {
      const x = randomInput(rng, [batch, ...size, 3]);
      const filter = randomInput(rng, [k, k, 3, 4]);
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      const outShape = tf.tidy(() => conv(tf.zeros(x.shape), tf.zeros(filter.shape)).shape);
      await assertMatchesCpu(label, [x, filter, randomInput(rng, outShape)], gradsOfWeighted(conv));
    });
  }
});

describe('depthwiseConv2d on wasm matches cpu (output, input and filter gradients)', () => {
  const rng = new Rng(2);
  for (const { k, stride, pad, size, batch, label } of convGrid()) {
    for (const multiplier of [1, 2]) {
      test(`${label} multiplier ${multiplier}`, async () => {
        const x = randomInput(rng, [batch, ...size, 3]);
        const filter = randomInput(rng, [k, k, 3, multiplier]);
        const conv = (a: tf.Tensor, b: tf.Tensor) =>
          tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
        const outShape = tf.tidy(() => conv(tf.zeros(x.shape), tf.zeros(filter.shape)).shape);
        await assertMatchesCpu(label, [x, filter, randomInput(rng, outShape)], gradsOfWeighted(conv));
      });
    }
  }
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
          await assertMatchesCpu(label, [x, filter, randomInput(rng, [2, outSize, outSize, 3])], gradsOfWeighted(up));
        });
      }
    }
  }
});

describe('matMul with transposes on wasm matches cpu (output and gradients)', () => {
  const rng = new Rng(4);
  // tfjs has no gradient for a batch broadcast in matMul: that case compares the product only.
  const cases: { a: number[]; b: number[]; gradients: boolean }[] = [
    { a: [5, 7], b: [7, 3], gradients: true },
    { a: [2, 5, 7], b: [2, 7, 3], gradients: true },
    { a: [2, 5, 7], b: [1, 7, 3], gradients: false },
  ];
  for (const { a, b, gradients } of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const label = `${a.join('x')} @ ${b.join('x')} tA=${transposeA} tB=${transposeB}`;
        test(label, async () => {
          const swap = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
          const aShape = transposeA ? swap(a) : a;
          const bShape = transposeB ? swap(b) : b;
          const product = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, transposeA, transposeB);
          const outShape = [...(a.length === 3 ? [2] : []), a[a.length - 2], b[b.length - 1]];
          const inputs = [randomInput(rng, aShape), randomInput(rng, bShape), randomInput(rng, outShape)];
          await assertMatchesCpu(label, inputs, gradients ? gradsOfWeighted(product) : (x, y) => [product(x, y)]);
        });
      }
    }
  }
});

describe('tile on wasm matches cpu', () => {
  const rng = new Rng(5);
  const cases: [number[], number[]][] = [
    [[3], [2]],
    [[2, 3], [1, 2]],
    [[2, 1, 3], [2, 3, 1]],
    [[1, 1, 1, 4], [2, 3, 3, 1]],
    [[2, 3, 4], [1, 1, 1]],
    [[5, 1], [1, 4]],
    [[2, 2, 2, 2], [2, 1, 2, 3]],
  ];
  for (const [shape, reps] of cases) {
    const label = `${shape.join('x')} reps ${reps.join(',')}`;
    test(label, async () => {
      const x = randomInput(rng, shape);
      const weights = randomInput(rng, shape.map((size, i) => size * reps[i]));
      await assertMatchesCpu(label, [x, weights], gradsOfWeighted((t) => tf.tile(t, reps)));
    });
  }

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

describe('training a tiny conv net on wasm', () => {
  test('loss decreases and steps leave no tensors or wasm buffers behind', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(6);
    const tensor = (shape: number[], scale = 1) =>
      tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal() * scale), shape);
    const images = tensor([8, 8, 8, 3]);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 8 }, (_, i) => i % 4), 'int32'), 4);
    const weights = {
      conv1: tf.variable(tensor([3, 3, 3, 8], 0.3)),
      gamma: tf.variable(tf.ones([8])),
      beta: tf.variable(tf.zeros([8])),
      depthwise: tf.variable(tensor([3, 3, 8, 2], 0.3)),
      conv2: tf.variable(tensor([1, 1, 16, 8], 0.3)),
      dense: tf.variable(tensor([8, 4], 0.3)),
    };
    const loss = () =>
      tf.tidy(() => {
        const h1 = tf.conv2d(images as tf.Tensor4D, weights.conv1 as tf.Tensor4D, 1, 'same');
        const { mean, variance } = tf.moments(h1, [0, 1, 2]);
        const normalised = tf.add(tf.mul(tf.div(tf.sub(h1, mean), tf.sqrt(tf.add(variance, 1e-5))), weights.gamma), weights.beta);
        const h2 = tf.depthwiseConv2d(tf.relu(normalised) as tf.Tensor4D, weights.depthwise as tf.Tensor4D, 2, 'same');
        const h3 = tf.relu(tf.conv2d(h2, weights.conv2 as tf.Tensor4D, 1, 'valid'));
        const logits = tf.matMul(tf.mean(h3, [1, 2]), weights.dense);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      });
    const optimizer: tf.Optimizer = tf.train.adam(0.05);
    const step = () => {
      const { value, grads } = tf.variableGrads(loss);
      optimizer.applyGradients(grads);
      const lossValue = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return lossValue;
    };

    const first = step(); // creates Adam's moment variables
    const tensorsAfterFirst = tf.memory().numTensors;
    const idsAfterFirst = wasmDataIds();
    let last = first;
    for (let i = 0; i < 15; i++) last = step();

    assert.equal(tf.memory().numTensors, tensorsAfterFirst);
    assert.equal(wasmDataIds(), idsAfterFirst);
    assert.ok(last < first * 0.7, `loss went from ${first} to ${last}`);
    optimizer.dispose();
    tf.dispose([images, labels, ...Object.values(weights)]);
  });
});
