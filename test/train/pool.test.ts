import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { encodeModel, EncodedModel } from '../../engine/model/io';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { ArchitectureSpec, ARCH_FORMAT, Layer } from '../../engine/architecture/types';
import { CANDIDATE_DEFAULTS } from '../../engine/evaluation/local/candidate';
import { WorkerPool } from '../../engine/evaluation/local/pool';
import { Rng } from '../../engine/util/rng';

function tinyNet(name: string, width: number, extra: Partial<Layer>[] = []): ArchitectureSpec {
  const layers = [
    { id: 'conv1', type: 'conv', out: width, kernel: 3, stride: 2, padding: 1, bias: false },
    { id: 'bn1', type: 'batchnorm' },
    { id: 'relu1', type: 'relu' },
    { id: 'conv2', type: 'conv', out: 8, kernel: 3, stride: 2, padding: 1 },
    { id: 'relu2', type: 'relu' },
    { id: 'pool', type: 'globalavgpool' },
    { id: 'fc', type: 'linear', out: 10 },
  ] as Layer[];
  extra.forEach((patch, i) => Object.assign(layers[i], patch));
  return { format: ARCH_FORMAT, name, input: { channels: 1, height: 28, width: 28 }, classes: 10, layers };
}

let teacher: EncodedModel;

before(async () => {
  await tf.setBackend('cpu');
  const spec = tinyNet('teacher', 8);
  const weights = initialWeights(spec, new Rng(1));
  teacher = await encodeModel(spec, weights);
  disposeWeights(weights);
});

function setup() {
  return {
    backend: 'cpu' as const,
    dataset: 'mnist',
    load: { limitTrain: 128, limitValidation: 64 },
    teacher,
    training: { ...CANDIDATE_DEFAULTS, epochs: 1, batchSize: 64 },
  };
}

let pool: WorkerPool | undefined;
after(() => pool?.close());

test('two workers evaluate candidates in parallel; a broken candidate fails and the others succeed', async () => {
  pool = await WorkerPool.start({ setup: setup(), workers: 2 });
  assert.equal(pool.concurrency, 2);
  const broken = tinyNet('broken', 4, [{ in: 3 } as Partial<Layer>]);
  const results = await Promise.all([
    pool.evaluate({ name: 'c1', spec: tinyNet('c1', 4) }),
    pool.evaluate({ name: 'broken', spec: broken }),
    pool.evaluate({ name: 'c2', spec: tinyNet('c2', 2) }),
    pool.evaluate({ name: 'c3', spec: tinyNet('c3', 8) }),
  ]);
  const [c1, bad, c2, c3] = results;
  for (const r of [c1, c2, c3]) {
    assert.equal(r.status, 'ok', JSON.stringify(r));
    if (r.status === 'ok') {
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
      assert.equal(r.backend, 'cpu');
    }
  }
  assert.equal(bad.status, 'failed');
  if (bad.status === 'failed') assert.match(bad.reason, /declares in: 3 but receives 1/);
  if (c1.status === 'ok' && c3.status === 'ok') assert.ok(c1.params < c3.params);
});

test('abort rejects the running evaluation promptly and the pool keeps working', async () => {
  pool ??= await WorkerPool.start({ setup: setup(), workers: 2 });
  const controller = new AbortController();
  const big = tinyNet('slow', 64);
  const running = pool.evaluate({ name: 'slow', spec: { ...big, layers: big.layers } }, controller.signal);
  setTimeout(() => controller.abort(), 200);
  const started = performance.now();
  await assert.rejects(running, { name: 'AbortError' });
  assert.ok(performance.now() - started < 5000);
  const after = await pool.evaluate({ name: 'next', spec: tinyNet('next', 4) });
  assert.equal(after.status, 'ok');
});
