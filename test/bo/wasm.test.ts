import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend/index';
import { fitKernel } from '../../engine/bo/kernel/learned-kernel';
import { Rng } from '../../engine/util/rng';
import { randomEncoding } from './helpers';

async function fitOn(backend: 'cpu' | 'wasm'): Promise<{ lls: number[]; mu: Float64Array }> {
  await initBackend(backend);
  const rng = new Rng(11);
  // Interleaved lengths, so the grouped forward pass and its reordering are differentiated too.
  const encodings = [...Array.from({ length: 6 }, () => randomEncoding(5, 8, rng)), randomEncoding(3, 8, rng), randomEncoding(5, 8, rng)];
  const ys = encodings.map((e, i) => (i === 0 ? 0 : e.data[0] + 0.5 * e.data[1]));
  const before = tf.memory().numTensors;
  const kernel = await fitKernel(encodings, ys, { embedding: { layers: 2, hidden: 8, inputWidth: 8 }, maxSteps: 4 }, new Rng(1));
  const { mu } = await kernel.predict([randomEncoding(5, 8, rng), randomEncoding(4, 8, rng)]);
  const lls = kernel.fit!.logLikelihoods;
  kernel.dispose();
  assert.equal(tf.memory().numTensors, before, `${backend} leaks no tensors`);
  return { lls, mu };
}

test('the kernel fits and predicts on wasm as on cpu', async () => {
  const cpu = await fitOn('cpu');
  const wasm = await fitOn('wasm');
  await initBackend('cpu');
  assert.equal(wasm.lls.length, cpu.lls.length);
  wasm.lls.forEach((ll, i) => assert.ok(Math.abs(ll - cpu.lls[i]) < 1e-5, `step ${i + 1}: ${ll} vs ${cpu.lls[i]}`));
  wasm.mu.forEach((mu, i) => assert.ok(Math.abs(mu - cpu.mu[i]) < 1e-4));
});
