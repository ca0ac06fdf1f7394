// The PyTorch trainer's networks (trainers/torch/esnac_trainer/network.py) against engine/model's
// tfjs forward pass: every zoo teacher, a spec with every layer type, and candidates with weights
// inherited from their teacher, in inference and in training mode (batch statistics).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec, ARCH_FORMAT, LAYER_TYPES } from '../../engine/architecture/types';
import { findPython, trainerRoot } from '../../engine/evaluation/pytorch/python';
import { inheritWeights } from '../../engine/model/inherit';
import { encodeModel, writeModel } from '../../engine/model/io';
import { Network } from '../../engine/model/network';
import { disposeWeights, WeightMap, weightSpecs } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { Rng } from '../../engine/util/rng';
import { ZOO_NAMES, zooDatasets, zooTeacher } from '../../engine/zoo';
import { MINI_SHUFFLE, MINI_SHUFFLE_V2 } from '../space/fixtures/specs';

const found = findPython({});
const dir = mkdtempSync(join(tmpdir(), 'esnac-pytorch-net-'));
const BATCH = 2;

before(async () => {
  await initBackend('wasm');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every layer type of the format, with grouped, depthwise and bias-free convs, padded pools in ceil mode, a squeeze-and-excitation gate. */
const EVERY_LAYER: ArchitectureSpec = {
  format: ARCH_FORMAT,
  name: 'every-layer',
  input: { channels: 3, height: 11, width: 11 },
  classes: 7,
  layers: [
    { id: 'stem', type: 'conv', out: 8, kernel: 3, padding: 1 },
    { id: 'bn', type: 'batchnorm', eps: 1e-3 },
    { id: 'act', type: 'relu6' },
    { id: 'max', type: 'maxpool', kernel: 3, stride: 2, padding: 1, ceilMode: true },
    { id: 'grouped', type: 'conv', out: 8, kernel: 3, padding: 1, groups: 2, bias: false },
    { id: 'dw', type: 'conv', out: 16, kernel: 3, padding: 1, groups: 8, inputs: ['max'] },
    { id: 'left', type: 'chunk', chunks: 2, index: 1, inputs: ['dw'] },
    { id: 'sum', type: 'identity', inputs: ['grouped', 'left', 'max'] },
    { id: 'squeeze', type: 'globalavgpool' },
    { id: 'excite', type: 'conv', out: 8, kernel: 1 },
    { id: 'gate', type: 'hardsigmoid' },
    { id: 'se', type: 'mul', inputs: ['sum', 'gate'] },
    { id: 'hswish', type: 'hardswish' },
    { id: 'silu', type: 'silu' },
    { id: 'tanh', type: 'tanh' },
    { id: 'sigmoid', type: 'sigmoid' },
    { id: 'cat', type: 'concat', inputs: ['sigmoid', 'dw'] },
    { id: 'shuffle', type: 'shuffle', groups: 4 },
    { id: 'r', type: 'relu' },
    { id: 'avg', type: 'avgpool', kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false },
    { id: 'avg2', type: 'avgpool', kernel: 2, stride: 1, padding: 1 },
    { id: 'drop', type: 'dropout', rate: 0 },
    { id: 'flat', type: 'flatten' },
    { id: 'fc1', type: 'linear', out: 12 },
    { id: 'fc2', type: 'linear', out: 7, bias: false },
    { id: 'gap', type: 'globalavgpool', inputs: ['cat'] },
    { id: 'flat2', type: 'flatten' },
    { id: 'fc3', type: 'linear', out: 7 },
    { id: 'out', type: 'identity', inputs: ['fc2', 'fc3'] },
  ],
};

/** Random weights, batchnorm statistics included (initialisation leaves them at 0 and 1). */
function randomWeights(spec: ArchitectureSpec, rng: Rng): WeightMap {
  return new Map(
    weightSpecs(spec).map((w) => {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const scale = w.fanIn ? 1 / Math.sqrt(w.fanIn) : 0.5;
      const values = Float32Array.from({ length: size }, () => (w.kind === 'running_var' ? 0.5 + rng.next() : (w.kind === 'weight' && !w.fanIn ? 1 : 0) + scale * rng.normal()));
      return [w.name, tf.tensor(values, w.shape)];
    }),
  );
}

interface Case {
  label: string;
  spec: ArchitectureSpec;
  weights: WeightMap;
  training: boolean;
}

/** The interpreter with torch, or undefined when the test is skipped for want of one. */
async function torchPython(t: TestContext): Promise<string | undefined> {
  const probe = await found;
  if (probe.ok) return probe.info.python;
  t.skip(`no Python with torch: ${probe.reason}`);
  return undefined;
}

/** Runs each case in tfjs and in PyTorch (one Python process for all) and returns the worst relative error per case. */
async function compare(python: string, cases: Case[]): Promise<Map<string, number>> {
  const jobs = [];
  const expected = new Map<string, Float32Array>();
  for (const [i, c] of cases.entries()) {
    const { channels, height, width } = c.spec.input;
    const rng = new Rng(100 + i);
    const images = Float32Array.from({ length: BATCH * height * width * channels }, () => rng.normal());
    const net = new Network(c.spec, c.weights);
    const logits = tf.tidy(() => net.forward(tf.tensor4d(images, [BATCH, height, width, channels]), c.training ? { training: true, rng } : { training: false }).dataSync() as Float32Array);
    net.dispose();
    expected.set(c.label, logits);
    const model = join(dir, `model-${i}`);
    writeModel(model, await encodeModel(c.spec, c.weights), true);
    writeFileSync(join(dir, `images-${i}.f32`), new Uint8Array(images.buffer));
    jobs.push({ model, images: join(dir, `images-${i}.f32`), count: BATCH, out: join(dir, `out-${i}.f32`), training: c.training });
  }
  writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
  const run = spawnSync(python, [join(import.meta.dirname, 'python', 'forward.py'), join(dir, 'jobs.json')], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: trainerRoot() },
  });
  assert.equal(run.status, 0, run.stderr);
  const errors = new Map<string, number>();
  for (const [i, c] of cases.entries()) {
    const bytes = readFileSync(join(dir, `out-${i}.f32`));
    const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const want = expected.get(c.label)!;
    assert.equal(actual.length, want.length, c.label);
    const scale = Math.max(...want.map(Math.abs));
    errors.set(c.label, Math.max(...want.map((v, j) => Math.abs(v - actual[j]))) / scale);
  }
  return errors;
}

function assertClose(errors: Map<string, number>): void {
  for (const [label, error] of errors) assert.ok(error < 1e-4, `${label}: max relative error ${error.toExponential(2)}`);
}

test('the spec with every layer type uses every layer type of the format', () => {
  const used = new Set(EVERY_LAYER.layers.map((l) => l.type));
  assert.deepEqual(LAYER_TYPES.filter((t) => !used.has(t)), []);
});

test('PyTorch networks give tfjs logits for every zoo teacher and every layer type', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const teachers = ZOO_NAMES.flatMap((name) => (name.endsWith('-mini') ? zooDatasets(name) : zooDatasets(name).slice(0, 1)).map((d) => zooTeacher(name, d)));
  const rng = new Rng(7);
  const cases = [...teachers, EVERY_LAYER, MINI_SHUFFLE, MINI_SHUFFLE_V2].flatMap((spec) => {
    const weights = randomWeights(spec, rng);
    // Batch statistics on the small nets (dropout masks cannot match: those nets only infer).
    const training = inferShapes(spec).macs < 2e7 && !spec.layers.some((l) => l.type === 'dropout' && l.rate > 0);
    return [false, ...(training ? [true] : [])].map((training) => ({ label: `${spec.name}${training ? ' (training)' : ''}`, spec, weights, training }));
  });
  try {
    assertClose(await compare(python, cases));
  } finally {
    for (const c of cases.filter((c) => !c.training)) disposeWeights(c.weights);
  }
});

test('candidates with weights inherited from their teacher give the same logits in both', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const rng = new Rng(11);
  const cases: Case[] = [];
  for (const teacher of [zooTeacher('resnet-mini', 'mnist'), zooTeacher('vgg-mini', 'cifar10'), MINI_SHUFFLE_V2]) {
    const teacherWeights = randomWeights(teacher, rng);
    const space = buildSearchSpace(teacher);
    for (let i = 0; i < 3; i++) {
      const { spec } = sampleCandidate(space, rng);
      cases.push({ label: `${teacher.name} candidate ${i}`, spec, weights: inheritWeights({ spec: teacher, weights: teacherWeights }, spec, rng), training: false });
    }
    disposeWeights(teacherWeights);
  }
  try {
    assertClose(await compare(python, cases));
  } finally {
    for (const c of cases) disposeWeights(c.weights);
  }
});
