import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { exportSpecFile, importOnnxFile, weightsFoldersFor } from '../../engine/interop/files';
import { encodeOnnx } from '../../engine/interop/onnx-codec';
import { exportOnnx } from '../../engine/interop/onnx-export';
import { encodeModel, loadModel, MODEL_FILE, writeModel } from '../../engine/model/io';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { specToText } from '../../engine/architecture/write';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';

let dir: string;
const teacher = zooTeacher('vgg-mini', 'mnist');

before(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'esnac-files-'));
  const weights = initialWeights(teacher, new Rng(1));
  writeFileSync(join(dir, 'vgg.onnx'), encodeOnnx(exportOnnx(teacher, weights)));
  writeFileSync(join(dir, 'vgg.arch.yaml'), specToText(teacher, 'yaml'));
  writeModel(join(dir, 'vgg.weights'), await encodeModel(teacher, weights));
  disposeWeights(weights);
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function rejects(run: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(run, (err: Error) => err instanceof UserError && err.message.includes(message));
}

test('an imported model writes a spec and a weights folder, nothing over existing files', async () => {
  const before = tf.memory().numTensors;
  const spec = join(dir, 'imported', 'teacher.arch.json');
  const weights = join(dir, 'imported', 'teacher.weights');
  const result = await importOnnxFile({ model: join(dir, 'vgg.onnx'), spec, weights, name: 'teacher' });
  assert.equal(result.spec.name, 'teacher');
  assert.equal(JSON.parse(readFileSync(spec, 'utf8')).name, 'teacher');
  disposeWeights(loadModel(weights).weights);
  assert.equal(tf.memory().numTensors, before);

  await rejects(importOnnxFile({ model: join(dir, 'vgg.onnx'), spec }), `${spec} exists`);
  const fresh = join(dir, 'imported', 'other.arch.yaml');
  await rejects(importOnnxFile({ model: join(dir, 'vgg.onnx'), spec: fresh, weights }), `${weights} exists and is not empty`);
  assert.ok(!existsSync(fresh), 'a refused import writes nothing');
  await rejects(importOnnxFile({ model: join(dir, 'vgg.onnx'), spec: join(dir, 'teacher.txt') }), 'name the spec file .json, .yaml or .yml');
  await importOnnxFile({ model: join(dir, 'vgg.onnx'), spec, weights, force: true });
  assert.equal(tf.memory().numTensors, before);
});

test('an export checks the output name and that the weights fit the spec', async () => {
  const spec = join(dir, 'vgg.arch.yaml');
  await rejects(exportSpecFile({ spec, to: 'onnx', output: join(dir, 'vgg.py') }), 'the ONNX model must be a .onnx file');
  const other = zooTeacher('resnet-mini', 'mnist');
  const weights = initialWeights(other, new Rng(2));
  writeModel(join(dir, 'resnet.weights'), await encodeModel(other, weights));
  disposeWeights(weights);
  await rejects(exportSpecFile({ spec, to: 'pytorch', output: join(dir, 'vgg.py'), weights: join(dir, 'resnet.weights') }), `${join(dir, 'resnet.weights')} does not hold weights for ${spec}`);
  assert.ok(!existsSync(join(dir, 'vgg.py')));
  const result = await exportSpecFile({ spec, to: 'pytorch', output: join(dir, 'vgg.py'), weights: join(dir, 'vgg.weights') });
  assert.deepEqual(result.files, [join(dir, 'vgg.py'), join(dir, 'vgg.safetensors')]);
  assert.equal(result.weights, 'trained');
});

test("a spec's weights folders are found beside it, fine-tuned first", () => {
  const run = join(dir, 'run');
  const folder = (name: string, withModel = true) => {
    mkdirSync(join(run, name), { recursive: true });
    if (withModel) writeFileSync(join(run, name, MODEL_FILE), '{}');
  };
  folder('best.weights');
  folder('candidates/c1.weights');
  folder('candidates/c1.finetuned');
  folder('candidates/c2.weights', false);
  assert.deepEqual(weightsFoldersFor(join(run, 'best.arch.yaml')), [join(run, 'best.weights')]);
  assert.deepEqual(weightsFoldersFor(join(run, 'candidates', 'c1.arch.yaml')), [join(run, 'candidates', 'c1.finetuned'), join(run, 'candidates', 'c1.weights')]);
  assert.deepEqual(weightsFoldersFor(join(run, 'candidates', 'c2.arch.yaml')), []);
  assert.deepEqual(weightsFoldersFor(join(run, 'best.yaml')), []);
});
