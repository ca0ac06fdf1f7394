import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { exportOnnx } from '../../engine/interop/onnx-export';
import { importOnnx } from '../../engine/interop/onnx-import';
import { exportPytorch } from '../../engine/interop/pytorch-export';
import { inheritWeights } from '../../engine/model/inherit';
import { Network } from '../../engine/model/network';
import { disposeWeights, WeightMap, weightSpecs } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { inferShapes } from '../../engine/spec/shapes';
import { ArchitectureSpec } from '../../engine/spec/types';
import { Rng } from '../../engine/util/rng';
import { ZooDataset, ZooName, zooTeacher } from '../../engine/zoo';
import { readBridge, writeBridge } from './bridge';
import { assertClose } from './helpers';
import { runHelper, skipReason } from './python';

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
    test(`${name} candidate: the same layers and outputs after a round trip`, () => {
      const before = tf.memory().numTensors;
      const s = student(name, dataset, seed);
      const expected = run(s, 2, new Rng(seed));
      const back = importOnnx(exportOnnx(s.spec, s.weights), s.spec.name, 'student.onnx');
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

describe('PyTorch and ONNX export, checked by PyTorch and onnx.checker', { skip: skipReason }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'esnac-export-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, dataset, seed] of STUDENTS) {
    test(`${name} candidate: builds, same parameter count and outputs as tfjs`, () => {
      const s = student(name, dataset, seed);
      const { input, shape, output } = run(s, 2, new Rng(seed));
      const py = exportPytorch(s.spec, s.weights, `${name}.safetensors`);
      writeFileSync(join(dir, `${name}.py`), py.source);
      writeFileSync(join(dir, `${name}.safetensors`), py.weights!);
      writeBridge(exportOnnx(s.spec, s.weights), join(dir, name));
      disposeWeights(s.weights);
      writeFileSync(join(dir, `${name}.input.bin`), new Uint8Array(input.buffer));
      const casePath = join(dir, `${name}.case.json`);
      writeFileSync(casePath, JSON.stringify({ pytorch: join(dir, `${name}.py`), onnx: join(dir, name), input: join(dir, `${name}.input.bin`), inputShape: shape, expected: output }));
      const report = JSON.parse(runHelper('check_export.py', [casePath]));
      const params = inferShapes(s.spec).params;
      const scale = Math.max(...output.map(Math.abs));
      assert.equal(report.pytorchParams, params);
      assert.equal(report.onnxParams, params);
      assert.ok(report.onnxChecked);
      assert.ok(report.pytorchDifference <= 1e-4 * scale, `PyTorch differs by ${report.pytorchDifference} (outputs up to ${scale})`);
      assert.ok(report.onnxDifference <= 1e-4 * scale, `the ONNX graph differs by ${report.onnxDifference} (outputs up to ${scale})`);
      // The exported graph reads back as the same model.
      const back = importOnnx(readBridge(join(dir, name)), name, `${name}.onnx`);
      assert.equal(inferShapes(back.spec).params, params);
      disposeWeights(back.weights);
    });
  }
});
