import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeOnnx, encodeOnnx, readOnnxFile } from '../../engine/interop/onnx-codec';
import { exportOnnx } from '../../engine/interop/onnx-export';
import { importOnnx } from '../../engine/interop/onnx-import';
import { inheritWeights } from '../../engine/model/inherit';
import { disposeWeights, WeightMap, weightSpecs } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec, Layer } from '../../engine/architecture/types';
import { specToText } from '../../engine/architecture/write';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';
import { MINI_SE, MINI_SHUFFLE_V2 } from '../space/fixtures/specs';
import { assertClose, checkExport, runTfjs, Student } from './helpers';
import { esnac, skipReason } from './python';

/** Teacher weights with every batchnorm tensor random too, so that each one matters to the outputs. */
function randomWeights(spec: ArchitectureSpec, rng: Rng): WeightMap {
  return new Map(
    weightSpecs(spec).map((w) => {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const scale = w.fanIn !== undefined ? 1 / Math.sqrt(w.fanIn) : 0.2;
      const centre = w.kind === 'running_var' || (w.kind === 'weight' && w.fanIn === undefined) ? 1 : 0;
      return [w.name, tf.tensor(Float32Array.from({ length: size }, () => centre + (2 * rng.next() - 1) * scale), w.shape)];
    }),
  );
}

/** A candidate of the teacher's search space with weights inherited from random teacher weights. */
function student(teacher: ArchitectureSpec, seed: number): Student {
  const rng = new Rng(seed);
  const teacherWeights = randomWeights(teacher, rng);
  const { spec } = sampleCandidate(buildSearchSpace(teacher), rng);
  const weights = inheritWeights({ spec: teacher, weights: teacherWeights }, spec, rng);
  disposeWeights(teacherWeights);
  // Inheritance restarts running statistics; random ones test that they are exported.
  for (const w of weightSpecs(spec)) {
    if (!w.trainable) {
      weights.get(w.name)!.dispose();
      weights.set(w.name, tf.tensor(Float32Array.from({ length: w.shape[0] }, () => (w.kind === 'running_var' ? 0.5 + rng.next() : rng.next() - 0.5)), w.shape));
    }
  }
  return { spec, weights };
}

/** [label, teacher, seed]: the mini ShuffleNetV2 brings relu6 and chunk, the mini SE net squeeze-and-excitation, the new activations, ceil-mode pooling and epsilons. */
const STUDENTS: [string, ArchitectureSpec, number][] = [
  ['shufflenet-1x-g2', zooTeacher('shufflenet-1x-g2', 'cifar10'), 3],
  ['resnet-mini', zooTeacher('resnet-mini', 'mnist'), 4],
  ['vgg-mini', zooTeacher('vgg-mini', 'cifar10'), 5],
  ['mini-shuffle-v2', MINI_SHUFFLE_V2, 6],
  ['mini-se', MINI_SE, 7],
];

before(async () => {
  await tf.setBackend('cpu');
});

describe('ONNX export, re-imported by esnac', () => {
  for (const [name, teacher, seed] of STUDENTS) {
    test(`${name} candidate: the same layers and outputs after a round trip through .onnx bytes`, () => {
      const before = tf.memory().numTensors;
      const s = student(teacher, seed);
      const expected = runTfjs(s, 2, new Rng(seed));
      const back = importOnnx(decodeOnnx(encodeOnnx(exportOnnx(s.spec, s.weights)), 'student.onnx'), s.spec.name, 'student.onnx');
      assert.equal(inferShapes(back.spec).params, inferShapes(s.spec).params);
      // Removed layers (identities of one input) need no node; the rest keep their ids and types, chunks their part.
      const part = (l: Layer) => (l.type === 'chunk' ? ` ${l.index}/${l.chunks}` : '');
      const kept = (spec: ArchitectureSpec) => spec.layers.filter((l) => l.type !== 'identity').map((l) => `${l.id}:${l.type}${part(l)}`);
      assert.deepEqual(kept(back.spec), kept(s.spec));
      const actual = runTfjs({ spec: back.spec, weights: back.weights }, 2, new Rng(seed));
      assertClose(actual.output, expected.output, 1e-5);
      disposeWeights(s.weights);
      disposeWeights(back.weights);
      assert.equal(tf.memory().numTensors, before);
    });
  }
});

describe('esnac export of a compressed candidate, checked by PyTorch and onnx.checker', { skip: skipReason }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'esnac-export-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, teacher, seed] of STUDENTS) {
    test(`${name} candidate with its weights folder: builds, same parameter count and outputs as tfjs`, async (t) => {
      const s = student(teacher, seed);
      const run = runTfjs(s, 2, new Rng(seed));
      const check = await checkExport(dir, name, s, run);
      disposeWeights(s.weights);
      t.diagnostic(`${name}: PyTorch module ${check.pytorch.toExponential(2)}, ONNX graph ${check.onnx.toExponential(2)} of the largest logit`);
      // The exported file reads back as the same model.
      const back = importOnnx(readOnnxFile(check.files.onnx), name, check.files.onnx);
      assert.equal(inferShapes(back.spec).params, inferShapes(s.spec).params);
      assertClose(runTfjs(back, 2, new Rng(seed)).output, run.output, 1e-5);
      disposeWeights(back.weights);
    });
  }
});

test('esnac export --to onnx without --weights: random weights, and said to be; existing files are kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-export-'));
  const specPath = join(dir, 'vgg-mini.arch.yaml');
  writeFileSync(specPath, specToText(zooTeacher('vgg-mini', 'cifar10'), 'yaml'));
  const output = join(dir, 'vgg-random.onnx');
  const first = esnac(['export', specPath, '--to', 'onnx', '-o', output, '--seed', '3']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /no --weights given: the weights are a random initialisation \(seed 3\)/);
  const bytes = readFileSync(output);
  assert.equal(readOnnxFile(output).graph.name, 'vgg-mini-cifar10');
  const again = esnac(['export', specPath, '--to', 'onnx', '-o', output]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /vgg-random\.onnx exists; choose another name or pass --force/);
  assert.deepEqual(readFileSync(output), bytes);
  rmSync(dir, { recursive: true, force: true });
});
