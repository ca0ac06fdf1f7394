import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeOnnx, encodeOnnx, readOnnxFile } from '../../engine/interop/onnx-codec';
import { exportOnnx } from '../../engine/interop/onnx-export';
import { importOnnx } from '../../engine/interop/onnx-import';
import { inheritWeights } from '../../engine/model/inherit';
import { encodeModel, writeModel } from '../../engine/model/io';
import { Network } from '../../engine/model/network';
import { disposeWeights, WeightMap, weightSpecs } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { inferShapes } from '../../engine/spec/shapes';
import { ArchitectureSpec } from '../../engine/spec/types';
import { specToText } from '../../engine/spec/write';
import { Rng } from '../../engine/util/rng';
import { ZooDataset, ZooName, zooTeacher } from '../../engine/zoo';
import { assertClose } from './helpers';
import { esnac, runHelper, skipReason } from './python';

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

interface Student {
  spec: ArchitectureSpec;
  weights: WeightMap;
}

/** A candidate of the teacher's search space with weights inherited from random teacher weights. */
function student(name: ZooName, dataset: ZooDataset, seed: number): Student {
  const teacher = zooTeacher(name, dataset);
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

/** Inputs [N, C, H, W] as raw values, and tfjs's logits for them. */
function run(s: Student, batch: number, rng: Rng): { input: Float32Array; shape: number[]; output: number[] } {
  const { channels, height, width } = s.spec.input;
  const shape = [batch, channels, height, width];
  const input = Float32Array.from({ length: batch * channels * height * width }, () => rng.normal());
  const net = new Network(s.spec, s.weights);
  const output = tf.tidy(() => Array.from(net.forward(tf.transpose(tf.tensor4d(input, shape as [number, number, number, number]), [0, 2, 3, 1]), { training: false }).dataSync()));
  net.dispose();
  return { input, shape, output };
}

const STUDENTS: [ZooName, ZooDataset, number][] = [
  ['shufflenet-1x-g2', 'cifar10', 3],
  ['resnet-mini', 'mnist', 4],
  ['vgg-mini', 'cifar10', 5],
];

before(async () => {
  await tf.setBackend('cpu');
});

describe('ONNX export, re-imported by esnac', () => {
  for (const [name, dataset, seed] of STUDENTS) {
    test(`${name} candidate: the same layers and outputs after a round trip through .onnx bytes`, () => {
      const before = tf.memory().numTensors;
      const s = student(name, dataset, seed);
      const expected = run(s, 2, new Rng(seed));
      const back = importOnnx(decodeOnnx(encodeOnnx(exportOnnx(s.spec, s.weights)), 'student.onnx'), s.spec.name, 'student.onnx');
      assert.equal(inferShapes(back.spec).params, inferShapes(s.spec).params);
      // Removed layers (identities of one input) need no node; the rest keep their ids and types.
      const kept = (spec: ArchitectureSpec) => spec.layers.filter((l) => l.type !== 'identity').map((l) => `${l.id}:${l.type}`);
      assert.deepEqual(kept(back.spec), kept(s.spec));
      const actual = run({ spec: back.spec, weights: back.weights }, 2, new Rng(seed));
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

  for (const [name, dataset, seed] of STUDENTS) {
    test(`${name} candidate with its weights folder: builds, same parameter count and outputs as tfjs`, async (t) => {
      const s = student(name, dataset, seed);
      const { input, shape, output } = run(s, 2, new Rng(seed));
      const specPath = join(dir, `${name}.arch.yaml`);
      const weightsDir = join(dir, `${name}.weights`);
      writeFileSync(specPath, specToText(s.spec, 'yaml'));
      writeModel(weightsDir, await encodeModel(s.spec, s.weights));
      disposeWeights(s.weights);
      const files = { pytorch: join(dir, `${name}.py`), onnx: join(dir, `${name}.onnx`) };
      for (const to of ['pytorch', 'onnx'] as const) {
        const exported = esnac(['export', specPath, '--to', to, '-o', files[to], '--weights', weightsDir]);
        assert.equal(exported.status, 0, exported.stderr);
        assert.doesNotMatch(exported.stderr, /random/);
      }
      assert.ok(existsSync(join(dir, `${name}.safetensors`)));
      writeFileSync(join(dir, `${name}.input.bin`), new Uint8Array(input.buffer));
      const casePath = join(dir, `${name}.case.json`);
      writeFileSync(casePath, JSON.stringify({ ...files, input: join(dir, `${name}.input.bin`), inputShape: shape, expected: output }));
      const report = JSON.parse(runHelper('check_export.py', [casePath]));
      const params = inferShapes(s.spec).params;
      const scale = Math.max(...output.map(Math.abs));
      assert.equal(report.pytorchParams, params);
      assert.equal(report.onnxParams, params);
      assert.ok(report.onnxChecked);
      assert.ok(report.pytorchDifference <= 1e-4 * scale, `PyTorch differs by ${report.pytorchDifference} (outputs up to ${scale})`);
      assert.ok(report.onnxDifference <= 1e-4 * scale, `the ONNX graph differs by ${report.onnxDifference} (outputs up to ${scale})`);
      t.diagnostic(`${name}: PyTorch module ${(report.pytorchDifference / scale).toExponential(2)}, ONNX graph ${(report.onnxDifference / scale).toExponential(2)} of the largest logit`);
      // The exported file reads back as the same model.
      const back = importOnnx(readOnnxFile(files.onnx), name, files.onnx);
      assert.equal(inferShapes(back.spec).params, params);
      assertClose(run(back, 2, new Rng(seed)).output, output, 1e-5);
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
