import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { permute } from '../../engine/interop/layout';
import { Rng } from '../../engine/util/rng';

before(async () => {
  await tf.setBackend('cpu');
});

test('permute reorders axes as tf.transpose does', () => {
  const rng = new Rng(7);
  const cases: [number[], number[]][] = [
    [[3, 5], [1, 0]],
    [[2, 3, 4, 5], [3, 2, 0, 1]],
    [[2, 3, 4, 5], [2, 3, 1, 0]],
    [[4, 1, 3], [0, 2, 1]],
    [[6], [0]],
  ];
  for (const [shape, axes] of cases) {
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    const expected = tf.tidy(() => tf.transpose(tf.tensor(values, shape), axes).dataSync());
    assert.deepEqual(permute(values, shape, axes), expected, `${shape} by ${axes}`);
  }
});
