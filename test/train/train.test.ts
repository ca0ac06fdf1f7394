import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Dataset, loadDataset } from '../../engine/data';
import { Network } from '../../engine/model/network';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { ArchitectureSpec, ARCH_FORMAT, Layer } from '../../engine/architecture/types';
import { CANDIDATE_DEFAULTS, evaluateCandidate } from '../../engine/evaluation/local/candidate';
import { distillationLoss, train } from '../../engine/train/loop';
import { Rng } from '../../engine/util/rng';
import { normalised } from '../support/data';

let data: Dataset;
before(async () => {
  await tf.setBackend('cpu');
  data = await loadDataset('mnist', { limitTrain: 256, limitValidation: 64 });
});

function tinyNet(width: number, extra: Layer[] = []): ArchitectureSpec {
  const layers: Layer[] = [
    { id: 'conv1', type: 'conv', out: width, kernel: 3, stride: 2, padding: 1, bias: false },
    { id: 'bn1', type: 'batchnorm' },
    { id: 'relu1', type: 'relu' },
    ...extra,
    { id: 'pool', type: 'maxpool', kernel: 2 },
    { id: 'flat', type: 'flatten' },
    { id: 'fc', type: 'linear', out: 10 },
  ];
  return { format: ARCH_FORMAT, name: `tiny-${width}`, input: { channels: 1, height: 28, width: 28 }, classes: 10, layers };
}

function build(spec: ArchitectureSpec, seed: number): Network {
  const w = initialWeights(spec, new Rng(seed));
  const net = new Network(spec, w);
  disposeWeights(w);
  return net;
}

function logitGap(student: Network, teacher: Network): number {
  return tf.tidy(() => {
    const x = tf.tensor4d(normalised(data.validation, data), [data.validation.count, 28, 28, 1]);
    return distillationLoss({ kind: 'mse' }, student.forward(x, { training: false }), teacher.forward(x, { training: false })).dataSync()[0];
  });
}

test('distillation brings the student logits towards the teacher logits (MSE and KL)', async () => {
  const teacher = build(tinyNet(8), 1);
  for (const loss of [{ kind: 'mse' }, { kind: 'kl', temperature: 4 }] as const) {
    const student = build(tinyNet(3), 2);
    const gapBefore = logitGap(student, teacher);
    const outcome = await train(student, data, {
      epochs: 2, batchSize: 32, learningRate: 3e-3, weightDecay: 5e-4, rng: new Rng(3),
      objective: { kind: 'distill', teacher, loss },
    });
    disposeWeights(outcome.best!);
    const gapAfter = logitGap(student, teacher);
    assert.ok(gapAfter < 0.5 * gapBefore, `${loss.kind}: gap ${gapBefore} -> ${gapAfter}`);
    student.dispose();
  }
  teacher.dispose();
});

test('evaluating candidates in a row leaks no tensors; failures resolve as failed', async () => {
  const teacher = build(tinyNet(8, [{ id: 'conv2', type: 'conv', out: 8, kernel: 3, padding: 1 }, { id: 'relu2', type: 'relu' }]), 1);
  const context = { data, teacher, backend: 'cpu', training: { ...CANDIDATE_DEFAULTS, epochs: 1, batchSize: 64 } };
  const start = tf.memory().numTensors;
  const removed = tinyNet(4, [{ id: 'conv2', type: 'identity' }, { id: 'relu2', type: 'relu' }]);
  const shrunk = tinyNet(4, [{ id: 'conv2', type: 'conv', out: 4, kernel: 3, padding: 1 }, { id: 'relu2', type: 'relu' }]);
  const diverging = { ...CANDIDATE_DEFAULTS, epochs: 1, batchSize: 64, learningRate: 1e30 };
  const results = [
    await evaluateCandidate({ name: 'removed', spec: removed }, context),
    await evaluateCandidate({ name: 'shrunk', spec: shrunk }, context),
    await evaluateCandidate({ name: 'nan', spec: shrunk }, { ...context, training: diverging }),
    await evaluateCandidate({ name: 'scratch', spec: shrunk }, { ...context, training: { ...context.training, inherit: false } }),
  ];
  assert.equal(tf.memory().numTensors, start);
  assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'failed', 'ok']);
  const [first, second, nan] = results;
  if (first.status === 'ok' && second.status === 'ok') assert.ok(first.params < second.params);
  if (nan.status === 'failed') assert.match(nan.reason, /loss became NaN|Infinity/);
  teacher.dispose();
});
