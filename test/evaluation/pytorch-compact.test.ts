// Candidates of the compact models people deploy (EfficientNet-B0, MobileNetV3-Small,
// RegNetY-400MF: SiLU, Hardswish, squeeze-and-excitation gates, batchnorm eps 1e-3), exported by
// torch.onnx at 32x32 and imported, and of a small spec with what those lack (tanh, ceil-mode
// pooling, avgpool without padding counted), each train a distillation step on a PyTorch worker:
// finite loss, weights written that moved from the ones the engine cut from the teacher.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ArchitectureSpec, Layer } from '../../engine/architecture/types';
import { checkSpec } from '../../engine/architecture/validate';
import { Dataset } from '../../engine/data';
import { InitialWeights, writeDatasetFolder } from '../../engine/evaluation/inputs';
import { PytorchPool } from '../../engine/evaluation/pytorch/pool';
import { findPython } from '../../engine/evaluation/pytorch/python';
import { readOnnxFile } from '../../engine/interop/onnx-codec';
import { importOnnx } from '../../engine/interop/onnx-import';
import { encodeModel, loadModel, writeModel } from '../../engine/model/io';
import { disposeWeights, initialWeights, WeightMap } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { Rng } from '../../engine/util/rng';
import { runHelper, skipReason } from '../interop/python';
import { MINI_SE } from '../space/fixtures/specs';

const COMPACT = ['efficientnet_b0', 'mobilenet_v3_small', 'regnet_y_400mf'];
const CANDIDATES = 2;
/** What the compact models bring, named in the test's diagnostics per candidate. */
const FEATURES: Record<string, (l: Layer) => boolean> = {
  ...Object.fromEntries(['silu', 'hardswish', 'hardsigmoid', 'sigmoid', 'tanh', 'mul'].map((type) => [type, (l: Layer) => l.type === type])),
  eps: (l) => l.type === 'batchnorm' && l.eps !== undefined,
  ceilMode: (l) => (l.type === 'maxpool' || l.type === 'avgpool') && l.ceilMode === true,
  countIncludePad: (l) => l.type === 'avgpool' && l.countIncludePad === false,
};

const dir = mkdtempSync(join(tmpdir(), 'esnac-pytorch-compact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Random bytes at the models' export size (torchvision_models.py: 3x32x32, 10 classes). */
function randomDataset(spec: ArchitectureSpec, rng: Rng): Dataset {
  const { channels, height, width } = spec.input;
  const split = (count: number) => ({
    pixels: Uint8Array.from({ length: count * channels * height * width }, () => rng.int(0, 255)),
    scale: 1 / 255,
    labels: Int32Array.from({ length: count }, () => rng.int(0, spec.classes - 1)),
    count,
  });
  const normalisation = { rule: 'imagenet', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  return { name: 'random', input: spec.input, classes: spec.classes, train: split(8), validation: split(4), normalisation, augment: true, source: 'random', splitRule: 'random images', notes: [] };
}

/** Draws candidates of `spec` and trains each one step, distilled from `weights`, on `pool`. */
async function trainCandidates(t: TestContext, pool: PytorchPool, spec: ArchitectureSpec, weights: WeightMap): Promise<void> {
  const teacherDir = join(dir, `${spec.name}.teacher`);
  writeModel(teacherDir, await encodeModel(spec, weights));
  disposeWeights(weights);
  const initial = new InitialWeights(teacherDir, true, 5);
  const space = buildSearchSpace(spec);
  const rng = new Rng(3);
  try {
    for (let i = 0; i < CANDIDATES; i++) {
      const candidate = { ...sampleCandidate(space, rng).spec, name: `${spec.name}-c${i}` };
      assert.deepEqual(checkSpec(candidate), [], `${candidate.name} is valid`);
      const label = `${candidate.name} (${Object.keys(FEATURES).filter((f) => candidate.layers.some(FEATURES[f])).join(', ')})`;
      const start = join(dir, `${candidate.name}.initial`);
      const out = join(dir, `${candidate.name}.trained`);
      mkdirSync(start);
      await initial.write(candidate, start);
      const result = await pool.train({
        spec: candidate, initial: start, out, teacher: teacherDir, objective: 'distill', distillation: { kind: 'mse' },
        epochs: 1, batchSize: 4, learningRate: 1e-2, weightDecay: 5e-4, seed: 7,
      });
      assert.equal(result.status, 'ok', `${label}: ${result.status === 'failed' ? result.reason : result.status}`);
      if (result.status !== 'ok') continue;
      const loss = result.epochs[0].loss;
      assert.ok(Number.isFinite(loss), `${label}: loss ${loss}`);
      const before = loadModel(start);
      const after = loadModel(out);
      assert.equal(after.spec.name, candidate.name);
      assert.deepEqual([...after.weights.keys()].sort(), [...before.weights.keys()].sort(), `${label}: every weight written`);
      const moved = [...after.weights].filter(([key, v]) => {
        const values = v.dataSync();
        const old = before.weights.get(key)!.dataSync();
        assert.ok(values.every(Number.isFinite), `${label}: ${key} is finite`);
        return values.some((x, j) => x !== old[j]);
      }).length;
      assert.ok(moved > after.weights.size / 2, `${label}: ${moved} of ${after.weights.size} weights moved`);
      t.diagnostic(`${label}: loss ${loss.toFixed(4)}, ${moved} of ${after.weights.size} weights moved`);
      disposeWeights(before.weights);
      disposeWeights(after.weights);
    }
  } finally {
    initial.dispose();
  }
}

/** A one-worker CPU pool on random images of `spec`'s input. */
async function poolFor(python: string, spec: ArchitectureSpec): Promise<PytorchPool> {
  const dataset = join(dir, `${spec.name}.dataset`);
  writeDatasetFolder(randomDataset(spec, new Rng(1)), dataset);
  return PytorchPool.start({ python, dataset, workers: 1, threads: 2, gpus: 0, autocast: false });
}

test('candidates of imported EfficientNet-B0, MobileNetV3-Small and RegNetY-400MF train a step on the PyTorch worker', { skip: skipReason, timeout: 600_000 }, async (t) => {
  const probe = await findPython({});
  if (!probe.ok) return t.skip(`no Python with torch: ${probe.reason}`);
  await tf.setBackend('cpu');
  runHelper('torchvision_models.py', [dir, ...COMPACT]);
  const imported = COMPACT.map((name) => importOnnx(readOnnxFile(join(dir, `${name}.onnx`)), name, `${name}.onnx`));
  const pool = await poolFor(probe.info.python, imported[0].spec);
  try {
    for (const { spec, weights } of imported) await trainCandidates(t, pool, spec, weights);
  } finally {
    await pool.close();
  }
});

test('candidates of a spec with tanh, ceil-mode pooling and countIncludePad false train a step on the PyTorch worker', async (t) => {
  const probe = await findPython({});
  if (!probe.ok) return t.skip(`no Python with torch: ${probe.reason}`);
  await tf.setBackend('cpu');
  const pool = await poolFor(probe.info.python, MINI_SE);
  try {
    await trainCandidates(t, pool, MINI_SE, initialWeights(MINI_SE, new Rng(2)));
  } finally {
    await pool.close();
  }
});
