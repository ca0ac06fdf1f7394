import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../engine/backend';
import { BN_EPSILON } from '../../engine/architecture/types';
import { batchNormTraining } from '../../engine/model/network';
import { Rng } from '../../engine/util/rng';

// Batch 1 and more, odd sizes, one pixel, channels 1 and more; the mean is offset from zero as
// after a conv.
const SHAPES: [number, number, number, number][] = [
  [1, 3, 4, 5],
  [1, 1, 1, 3],
  [2, 5, 3, 1],
  [4, 6, 6, 8],
  [3, 1, 1, 6],
];

function random(rng: Rng, shape: number[], offset = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => offset + rng.normal()), shape);
}

// The plain formula, differentiated by tfjs.
function reference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), gamma), beta);
}

function fused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { y, mean, variance } = batchNormTraining(x, gamma, beta);
  tf.dispose([mean, variance]);
  return y;
}

function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.norm(tf.sub(actual, expected)).dataSync()[0] / Math.max(1e-12, tf.norm(expected).dataSync()[0]));
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`batchnorm's closed-form gradient matches autodiff of the formula on ${backend}`, async () => {
    await initBackend(backend);
    const rng = new Rng(7);
    const before = tf.memory().numTensors;
    for (const shape of SHAPES) {
      const c = shape[3];
      const [x, gamma, beta, upstream] = [random(rng, shape, 3), random(rng, [c], 1), random(rng, [c]), random(rng, shape)];
      // A weighted sum, so dy is not constant (a constant dy has dx = 0).
      const gradsOf = (f: typeof fused) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor1D, d as tf.Tensor1D), upstream)));
      const expected = gradsOf(reference)([x, gamma, beta]);
      const actual = gradsOf(fused)([x, gamma, beta]);
      ['dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        const pixels = shape[0] * shape[1] * shape[2];
        // With one value per channel dx is 0 up to rounding: compare absolutely.
        const error = pixels === 1 ? tf.tidy(() => tf.max(tf.abs(tf.sub(actual[i], expected[i]))).dataSync()[0]) : relativeError(actual[i], expected[i]);
        assert.ok(error < 1e-4, `${name} of [${shape}]: error ${error}`);
      });
      tf.dispose([x, gamma, beta, upstream, ...expected, ...actual]);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  test(`batchnorm in training returns the batch's biased statistics and the normalised batch on ${backend}`, async () => {
    await initBackend(backend);
    const rng = new Rng(11);
    const before = tf.memory().numTensors;
    const [x, gamma, beta] = [random(rng, [2, 3, 4, 5], -2), random(rng, [5]), random(rng, [5])] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const { y, mean, variance } = batchNormTraining(x, gamma, beta);
    const moments = tf.moments(x, [0, 1, 2]);
    const expected = tf.tidy(() => reference(x, gamma, beta));
    assert.ok(relativeError(mean, moments.mean) < 1e-5);
    assert.ok(relativeError(variance, moments.variance) < 1e-5);
    assert.ok(relativeError(y, expected) < 1e-5);
    tf.dispose([x, gamma, beta, y, mean, variance, moments.mean, moments.variance, expected]);
    assert.equal(tf.memory().numTensors, before);
  });
}
