// The kernel-correctness grid the backend tests share: training's kernels (conv2d, depthwise conv,
// matMul with transposes, tile; forward results and gradients) on random inputs, compared with the
// reference 'cpu' backend. Error measure: max |backend - cpu| divided by max |cpu| over the whole
// result (so near-zero elements do not inflate it).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '../../engine/util/rng';

export const TOLERANCE = 1e-4;

export interface Input {
  shape: number[];
  values: Float32Array;
}

/** One comparison: `compute` runs on each backend with fresh tensors made from `inputs`. */
export interface KernelCase {
  label: string;
  inputs: Input[];
  compute: (...xs: tf.Tensor[]) => tf.Tensor[];
}

export function randomInput(rng: Rng, shape: number[]): Input {
  return { shape, values: Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal()) };
}

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/**
 * Runs `compute` on `backend`; returns plain arrays (read asynchronously: WebGPU in Node cannot
 * read synchronously). Checks that no tensor or backend buffer is left behind.
 */
async function runOn(backend: string, { inputs, compute }: KernelCase): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = inputs.map((input) => tf.tensor(input.values, input.shape));
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const outputs = compute(...tensors);
  const values = (await Promise.all(outputs.map((t) => t.data()))) as Float32Array[];
  tf.dispose(outputs);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${backend}: tensors leaked`);
  assert.equal(tf.backend().numDataIds(), buffersBefore, `${backend}: data buffers leaked`);
  tf.dispose(tensors);
  return values;
}

/** Asserts that `backend` gives what 'cpu' gives; returns the largest relative error. */
export async function assertMatchesCpu(backend: string, kernelCase: KernelCase): Promise<number> {
  const actual = await runOn(backend, kernelCase);
  const expected = await runOn('cpu', kernelCase);
  let worst = 0;
  expected.forEach((values, i) => {
    assert.equal(actual[i].length, values.length, `${kernelCase.label}: output ${i} size`);
    const error = relativeError(actual[i], values);
    assert.ok(error < TOLERANCE, `${kernelCase.label}: output ${i} relative error ${error}`);
    worst = Math.max(worst, error);
  });
  return worst;
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

const KERNELS = [1, 3, 5];
export const STRIDES = [1, 2];
// Explicit pads larger than a 1x1 kernel's reach exercise the cropping paths.
const PADS: Pad[] = ['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]];
const SIZES: [number, number][] = [[7, 7], [8, 6]];
const BATCHES = [1, 3];
const MULTIPLIERS = [1, 2];

export interface ConvPoint {
  k: number;
  stride: number;
  pad: Pad;
  size: [number, number];
  batch: number;
  label: string;
}

/** kernel 1/3/5, stride 1/2, same/valid/explicit padding, odd/even sizes, batch 1 and 3. */
export function* convGrid(): Generator<ConvPoint> {
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
export function gradsOfWeighted(f: (...xs: tf.Tensor[]) => tf.Tensor): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const weights = xs[xs.length - 1];
    const args = xs.slice(0, -1);
    const grad = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), weights)));
    return [f(...args), ...grad(args)];
  };
}

export function convOutShape(x: number[], filter: number[], stride: number, pad: Pad, depthwise: boolean): number[] {
  return tf.backend_util.computeConv2DInfo(x as tf.backend_util.Conv2DInfo['inShape'], filter as [number, number, number, number], stride, 1, pad, undefined, depthwise).outShape;
}

/** conv2d's output and its input and filter gradients. */
export function* conv2dCases(rng: Rng): Generator<KernelCase> {
  for (const { k, stride, pad, size, batch, label } of convGrid()) {
    const x = randomInput(rng, [batch, ...size, 3]);
    const filter = randomInput(rng, [k, k, 3, 4]);
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
    const weights = randomInput(rng, convOutShape(x.shape, filter.shape, stride, pad, false));
    yield { label, inputs: [x, filter, weights], compute: gradsOfWeighted(conv) };
  }
}

/** depthwiseConv2d's output and its input and filter gradients, channel multipliers 1 and 2. */
export function* depthwiseCases(rng: Rng): Generator<KernelCase> {
  for (const { k, stride, pad, size, batch, label } of convGrid()) {
    for (const multiplier of MULTIPLIERS) {
      const x = randomInput(rng, [batch, ...size, 3]);
      const filter = randomInput(rng, [k, k, 3, multiplier]);
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      const weights = randomInput(rng, convOutShape(x.shape, filter.shape, stride, pad, true));
      yield { label: `${label} multiplier ${multiplier}`, inputs: [x, filter, weights], compute: gradsOfWeighted(conv) };
    }
  }
}

/** matMul with every combination of transposes, 2-D and batched; gradients except for a batch broadcast. */
export function* matMulCases(rng: Rng): Generator<KernelCase> {
  // tfjs has no gradient for a batch broadcast in matMul: that case compares the product only.
  const cases: { a: number[]; b: number[]; gradients: boolean }[] = [
    { a: [5, 7], b: [7, 3], gradients: true },
    { a: [2, 5, 7], b: [2, 7, 3], gradients: true },
    { a: [2, 5, 7], b: [1, 7, 3], gradients: false },
  ];
  const swap = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
  for (const { a, b, gradients } of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const product = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, transposeA, transposeB);
        const outShape = [...(a.length === 3 ? [2] : []), a[a.length - 2], b[b.length - 1]];
        const inputs = [randomInput(rng, transposeA ? swap(a) : a), randomInput(rng, transposeB ? swap(b) : b), randomInput(rng, outShape)];
        const label = `${a.join('x')} @ ${b.join('x')} tA=${transposeA} tB=${transposeB}`;
        yield { label, inputs, compute: gradients ? gradsOfWeighted(product) : (x, y) => [product(x, y)] };
      }
    }
  }
}

/** tile and its gradient over ranks 1-4, with repeats of 1 on some axes. */
export function* tileCases(rng: Rng): Generator<KernelCase> {
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
    const x = randomInput(rng, shape);
    const weights = randomInput(rng, shape.map((size, i) => size * reps[i]));
    yield { label: `${shape.join('x')} reps ${reps.join(',')}`, inputs: [x, weights], compute: gradsOfWeighted((t) => tf.tile(t, reps)) };
  }
}

/**
 * maxPool and its gradient: windows 2 and 3, strides 1 and 2, valid and same padding, odd and
 * even sizes. Half the cases round the input to integers after a relu, so windows hold ties (the
 * gradient goes to the first maximum) and all-zero windows, as pooling after a relu does.
 */
export function* maxPoolCases(rng: Rng): Generator<KernelCase> {
  for (const filter of [2, 3]) {
    for (const stride of [1, 2]) {
      for (const pad of ['valid', 'same'] as const) {
        for (const size of [[7, 7], [8, 6]]) {
          for (const ties of [false, true]) {
            const x = randomInput(rng, [3, ...size, 4]);
            if (ties) x.values = x.values.map((v) => Math.max(0, Math.round(v)));
            const pool = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, filter, stride, pad);
            const outShape = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filter, stride, 1, pad).outShape;
            const label = `filter ${filter} stride ${stride} ${pad} ${size.join('x')}${ties ? ' with ties' : ''}`;
            yield { label, inputs: [x, randomInput(rng, outShape)], compute: gradsOfWeighted(pool) };
          }
        }
      }
    }
  }
}

/** avgPool and its gradient: windows 2 and 3, strides 1 and 2, valid and same padding, odd and even sizes. */
export function* avgPoolCases(rng: Rng): Generator<KernelCase> {
  for (const filter of [2, 3]) {
    for (const stride of [1, 2]) {
      for (const pad of ['valid', 'same'] as const) {
        for (const size of [[7, 7], [8, 6]]) {
          const x = randomInput(rng, [3, ...size, 4]);
          const outShape = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filter, stride, 1, pad).outShape;
          const compute = gradsOfWeighted((t) => tf.avgPool(t as tf.Tensor4D, filter, stride, pad));
          yield { label: `filter ${filter} stride ${stride} ${pad} ${size.join('x')}`, inputs: [x, randomInput(rng, outShape)], compute };
        }
      }
    }
  }
}

/** sum over leading axes (with and without keepDims), and over other axes for contrast. */
export function* sumCases(rng: Rng): Generator<KernelCase> {
  const cases: { shape: number[]; axis: number[] }[] = [
    { shape: [3, 5, 4, 6], axis: [0, 1, 2] },
    { shape: [3, 5, 4, 6], axis: [2, 0, 1] },
    { shape: [7, 5], axis: [0] },
    { shape: [2, 3, 4], axis: [0, 1] },
    { shape: [2, 3, 4], axis: [1, 2] },
    { shape: [2, 3, 4], axis: [0, 2] },
    { shape: [2, 3, 4], axis: [0, 1, 2] },
  ];
  for (const { shape, axis } of cases) {
    for (const keepDims of [false, true]) {
      yield { label: `${shape.join('x')} axis ${axis.join(',')} keepDims ${keepDims}`, inputs: [randomInput(rng, shape)], compute: (x) => [tf.sum(x, axis, keepDims)] };
    }
  }
}

/** slice (one run, runs per row, runs per pixel, ranks 1-5) and split, with their gradients. */
export function* sliceCases(rng: Rng): Generator<KernelCase> {
  const slices: { shape: number[]; begin: number[]; size: number[] }[] = [
    { shape: [10], begin: [3], size: [5] },
    { shape: [4, 6], begin: [1, 0], size: [2, 6] },
    { shape: [4, 6], begin: [1, 2], size: [3, 3] },
    { shape: [3, 5, 4, 8], begin: [0, 0, 0, 4], size: [3, 5, 4, 4] },
    { shape: [3, 5, 4, 8], begin: [1, 2, 1, 0], size: [2, 3, 3, 8] },
    { shape: [3, 5, 4, 80], begin: [1, 1, 0, 2], size: [2, 2, 4, 70] },
    { shape: [2, 3, 4, 5, 6], begin: [1, 0, 1, 2, 3], size: [1, 3, 2, 2, 3] },
  ];
  for (const { shape, begin, size } of slices) {
    const weights = randomInput(rng, size);
    const compute = gradsOfWeighted((t) => tf.slice(t, begin, size));
    yield { label: `slice ${shape.join('x')} at ${begin.join(',')} size ${size.join('x')}`, inputs: [randomInput(rng, shape), weights], compute };
  }
  const splits: { shape: number[]; sizes: number | number[]; axis: number }[] = [
    { shape: [3, 5, 4, 8], sizes: 2, axis: 3 },
    { shape: [3, 5, 4, 9], sizes: [2, 3, 4], axis: 3 },
    { shape: [6, 5], sizes: 3, axis: 0 },
  ];
  for (const { shape, sizes, axis } of splits) {
    const weights = randomInput(rng, shape);
    const compute = gradsOfWeighted((t) => tf.concat(tf.split(t, sizes, axis).map((piece, i) => tf.mul(piece, i + 1)), axis));
    yield { label: `split ${shape.join('x')} into ${JSON.stringify(sizes)} along ${axis}`, inputs: [randomInput(rng, shape), weights], compute: (...xs) => tf.tidy(() => compute(...xs)) };
  }
}

/**
 * Trains a tiny conv net (conv, batch-norm arithmetic, depthwise conv, 1x1 conv, dense; Adam) on
 * the current backend: the loss must fall, and steps after the first (which creates Adam's
 * moments) must leave no tensor or backend buffer behind.
 */
export async function assertTrainsTinyConvNet(): Promise<void> {
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
  const step = async () => {
    const { value, grads } = tf.variableGrads(loss);
    optimizer.applyGradients(grads);
    const lossValue = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    return lossValue;
  };

  const first = await step();
  const tensorsAfterFirst = tf.memory().numTensors;
  const buffersAfterFirst = tf.backend().numDataIds();
  let last = first;
  for (let i = 0; i < 15; i++) last = await step();

  assert.equal(tf.memory().numTensors, tensorsAfterFirst);
  assert.equal(tf.backend().numDataIds(), buffersAfterFirst);
  assert.ok(last < first * 0.7, `loss went from ${first} to ${last}`);
  optimizer.dispose();
  tf.dispose([images, labels, ...Object.values(weights)]);
}
