// A training stopped after an epoch and started again from its checkpoint goes on at the next
// epoch and ends with exactly the weights of a training that never stopped.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Dataset, loadDataset } from '../../engine/data';
import { ArchitectureSpec, ARCH_FORMAT } from '../../engine/architecture/types';
import { fitOnLabels, FitOptions } from '../../engine/train/supervised';
import { EpochReport } from '../../engine/train/loop';
import { Rng } from '../../engine/util/rng';

let data: Dataset;
before(async () => {
  await tf.setBackend('cpu');
  data = await loadDataset('mnist', { limitTrain: 192, limitValidation: 64 });
});

const SPEC: ArchitectureSpec = {
  format: ARCH_FORMAT,
  name: 'tiny',
  input: { channels: 1, height: 28, width: 28 },
  classes: 10,
  layers: [
    { id: 'conv1', type: 'conv', out: 4, kernel: 3, stride: 2, padding: 1, bias: false },
    { id: 'bn1', type: 'batchnorm' },
    { id: 'relu1', type: 'relu' },
    { id: 'pool', type: 'globalavgpool' },
    { id: 'fc', type: 'linear', out: 10 },
  ],
};

const OPTIONS: FitOptions = { epochs: 3, batchSize: 32, learningRate: 3e-3, weightDecay: 5e-4, seed: 7 };

test('the generator state goes on where it was taken', () => {
  const rng = new Rng(5);
  rng.next();
  const copy = new Rng(rng.state());
  assert.deepEqual([copy.next(), copy.int(0, 1000)], [rng.next(), rng.int(0, 1000)]);
});

test('a fit stopped in epoch 2 resumes from its checkpoint at epoch 2 and ends as an uninterrupted fit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-checkpoint-'));
  try {
    const whole = await fitOnLabels(SPEC, data, OPTIONS);
    const tensorsBefore = tf.memory().numTensors;

    const checkpoint = join(dir, 'checkpoint');
    const controller = new AbortController();
    const stopped = await fitOnLabels(SPEC, data, { ...OPTIONS, signal: controller.signal, checkpoint: { dir: checkpoint }, onEpoch: (e) => e.epoch === 1 && controller.abort() });
    assert.equal(stopped.outcome.stopped, true);
    assert.equal(stopped.outcome.epochs.length, 1);
    assert.ok(existsSync(join(checkpoint, 'state.json')));

    const resumedAfter: EpochReport[][] = [];
    const seen: number[] = [];
    const resumed = await fitOnLabels(SPEC, data, { ...OPTIONS, checkpoint: { dir: checkpoint, resumed: (epochs) => resumedAfter.push(epochs) }, onEpoch: (e) => seen.push(e.epoch) });
    assert.deepEqual(resumedAfter.map((epochs) => epochs.length), [1], 'resumed after epoch 1');
    assert.deepEqual(seen, [2, 3], 'trained epochs 2 and 3 only');
    assert.equal(resumed.outcome.epochs.length, 3);
    assert.deepEqual(
      resumed.outcome.epochs.map((e) => [e.loss, e.accuracy]),
      whole.outcome.epochs.map((e) => [e.loss, e.accuracy]),
    );
    assert.deepEqual(new Uint8Array(resumed.model.data), new Uint8Array(whole.model.data), 'the same weights, bit for bit');
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');

    // A checkpoint of another training is not used.
    const ignored: string[] = [];
    const other = await fitOnLabels(SPEC, data, { ...OPTIONS, seed: 8, epochs: 1, checkpoint: { dir: checkpoint, resumed: () => assert.fail('resumed a checkpoint of another seed'), ignored: (why) => ignored.push(why) } });
    assert.equal(other.outcome.epochs.length, 1);
    assert.match(ignored.join(), /another training/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
