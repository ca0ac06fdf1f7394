import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { encodeModel, loadModel, MODEL_FILE, readModel, writeModel } from '../../engine/model/io';
import { Network } from '../../engine/model/network';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';

const dir = mkdtempSync(join(tmpdir(), 'esnac-io-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('save then load gives a network with identical outputs', async () => {
  const spec = zooTeacher('vgg-mini', 'mnist');
  const weights = initialWeights(spec, new Rng(3));
  const original = new Network(spec, weights);
  disposeWeights(weights);
  const out = join(dir, 'round-trip');
  writeModel(out, await encodeModel(spec, original.weights(), { dataset: 'mnist' }));
  const loaded = loadModel(out);
  assert.deepEqual(loaded.spec, spec);
  assert.deepEqual(readModel(out).training, { dataset: 'mnist' });
  const copy = new Network(loaded.spec, loaded.weights);
  disposeWeights(loaded.weights);
  const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const [a, b] = tf.tidy(() => [original.forward(x, { training: false }).dataSync(), copy.forward(x, { training: false }).dataSync()]);
  assert.deepEqual(b, a);
  x.dispose();
  original.dispose();
  copy.dispose();
});

test('a non-empty folder is not overwritten without force', async () => {
  const spec = zooTeacher('resnet-mini', 'mnist');
  const weights = initialWeights(spec, new Rng(3));
  const model = await encodeModel(spec, weights);
  disposeWeights(weights);
  const out = join(dir, 'twice');
  writeModel(out, model);
  assert.throws(() => writeModel(out, model), { name: 'UserError', message: /not empty.*--force/ });
  writeModel(out, model, true);
});

test('weights that do not match the spec are refused with the mismatches named', async () => {
  const spec = zooTeacher('resnet-mini', 'mnist');
  const weights = initialWeights(spec, new Rng(3));
  const model = await encodeModel(spec, weights);
  disposeWeights(weights);
  const out = join(dir, 'mismatch');
  writeModel(out, model);
  const json = JSON.parse(readFileSync(join(out, MODEL_FILE), 'utf8'));
  json.spec.layers[0].out = 8; // conv1 now needs [3, 3, 1, 8]
  json.spec.layers[1].in = 8;
  json.spec.layers[3].in = 8;
  writeFileSync(join(out, MODEL_FILE), JSON.stringify(json));
  const before = tf.memory().numTensors;
  assert.throws(() => loadModel(out), { name: 'UserError', message: /conv1\/weight is \[3, 3, 1, 16\], the spec needs \[3, 3, 1, 8\]/ });
  assert.equal(tf.memory().numTensors, before);
  writeFileSync(join(out, 'weights.bin'), new Uint8Array(12));
  assert.throws(() => loadModel(out), { name: 'UserError', message: /holds 12 bytes/ });
  assert.throws(() => loadModel(join(dir, 'nothing')), { name: 'UserError', message: /no model.json/ });
});
