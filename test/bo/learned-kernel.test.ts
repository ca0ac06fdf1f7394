import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EncodedArchitecture } from '../../engine/space/encoding';
import { expectedImprovement } from '../../engine/bo/acquisition/expected-improvement';
import { fitKernel, KernelFitOptions, LearnedKernel } from '../../engine/bo/kernel/learned-kernel';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { randomEncoding } from './helpers';

before(async () => {
  await tf.setBackend('cpu');
});

const WIDTH = 8;
const SMALL: Partial<KernelFitOptions> = { embedding: { layers: 2, hidden: 8, inputWidth: WIDTH } };

/** y = share of rows whose type is 0, so y is a function of the encoding; the first point plays the teacher (y = 0). */
function syntheticData(n: number, seed: number): { encodings: EncodedArchitecture[]; ys: number[] } {
  const rng = new Rng(seed);
  const encodings = Array.from({ length: n }, () => randomEncoding(6, WIDTH, rng));
  const ys = encodings.map((e) => {
    let count = 0;
    for (let r = 0; r < e.rows; r++) count += e.data[r * e.width];
    return count / e.rows;
  });
  ys[0] = 0;
  return { encodings, ys };
}

/** Replays the stopping rule on the recorded log-likelihoods: the step at which it fires, if any. */
function ruleStopsAt(lls: number[], minSteps: number, tolerance: number): number | undefined {
  let ma = lls[0];
  for (let step = 1; step <= lls.length; step++) {
    const ll = lls[step - 1];
    ma = step === 1 ? ll : 0.5 * ll + 0.5 * ma;
    if (step > minSteps && Math.abs(ma - ll) < tolerance) return step;
  }
  return undefined;
}

test('fitting raises the LOO log-likelihood and leaks no tensors', async () => {
  const before = tf.memory().numTensors;
  const { encodings, ys } = syntheticData(14, 1);
  const kernel = await fitKernel(encodings, ys, { ...SMALL, learningRate: 1e-2, maxSteps: 20 }, new Rng(2));
  const lls = kernel.fit!.logLikelihoods;
  assert.ok(lls[lls.length - 1] > lls[0] + 0.1, `log-likelihood ${lls[0]} -> ${lls[lls.length - 1]}`);
  assert.equal(kernel.yBest, Math.max(...ys));
  kernel.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('stops by the EMA rule, or after maxSteps', async () => {
  const { encodings, ys } = syntheticData(10, 3);
  const early = await fitKernel(encodings, ys, { ...SMALL, learningRate: 1e-2 }, new Rng(4));
  const { steps, stoppedEarly, logLikelihoods } = early.fit!;
  early.dispose();
  assert.ok(stoppedEarly && steps < 100, `took ${steps} steps`);
  assert.equal(logLikelihoods.length, steps);
  assert.equal(ruleStopsAt(logLikelihoods, 5, 1e-3), steps);

  const capped = await fitKernel(encodings, ys, { ...SMALL, maxSteps: 7, tolerance: 0 }, new Rng(4));
  assert.deepEqual([capped.fit!.steps, capped.fit!.stoppedEarly], [7, false]);
  capped.dispose();
});

test('same seed, same kernel', async () => {
  const { encodings, ys } = syntheticData(6, 5);
  const fit = async () => {
    const kernel = await fitKernel(encodings, ys, { ...SMALL, maxSteps: 3 }, new Rng(6));
    const json = kernel.toJSON();
    kernel.dispose();
    return json;
  };
  assert.deepEqual(await fit(), await fit());
});

test('predict and EI; a saved kernel predicts the same after loading, without its training encodings', async () => {
  const before = tf.memory().numTensors;
  const { encodings, ys } = syntheticData(8, 7);
  const kernel = await fitKernel(encodings, ys, { ...SMALL, maxSteps: 3 }, new Rng(8));
  const rng = new Rng(9);
  const candidates = [...Array.from({ length: 5 }, () => randomEncoding(6, WIDTH, rng)), randomEncoding(9, WIDTH, rng)];
  const predicted = await kernel.predict(candidates, { batchSize: 2 });
  assert.equal(predicted.mu.length, candidates.length);
  for (const s of predicted.sigma) assert.ok(s >= Math.sqrt(0.05) && s <= Math.sqrt(1.05) + 1e-12);

  const onTraining = await kernel.predict(encodings.slice(0, 3));
  onTraining.mu.forEach((mu, i) => assert.ok(Math.abs(mu - ys[i]) < 0.1, 'training points are predicted near their y'));

  const restored = LearnedKernel.fromJSON(JSON.parse(JSON.stringify(kernel.toJSON())), 'run/kernels/k0.json');
  assert.deepEqual(await restored.predict(candidates), await kernel.predict(candidates));
  assert.deepEqual(await restored.expectedImprovement(candidates), expectedImprovement(predicted.mu, predicted.sigma, kernel.yBest));
  kernel.dispose();
  restored.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('loading a damaged kernel file is a UserError naming the file', async () => {
  const { encodings, ys } = syntheticData(4, 10);
  const kernel = await fitKernel(encodings, ys, { ...SMALL, maxSteps: 1 }, new Rng(1));
  const json = kernel.toJSON();
  kernel.dispose();
  const before = tf.memory().numTensors;
  for (const damaged of [{ ...json, format: 'x' }, { ...json, ys: ys.slice(1) }, { ...json, gp: { rbfSigma2: 0, noise: 0.05 } }, null]) {
    assert.throws(() => LearnedKernel.fromJSON(damaged, 'k.json'), (e: unknown) => e instanceof UserError && e.message.startsWith('k.json: '));
  }
  assert.equal(tf.memory().numTensors, before);
});

test('an aborted fit rejects and frees its tensors', async () => {
  const before = tf.memory().numTensors;
  const { encodings, ys } = syntheticData(4, 11);
  const controller = new AbortController();
  controller.abort(new Error('cancelled'));
  await assert.rejects(fitKernel(encodings, ys, SMALL, new Rng(1), controller.signal), /cancelled/);
  assert.equal(tf.memory().numTensors, before);
});
