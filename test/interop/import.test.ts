import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readOnnxFile } from '../../engine/interop/onnx-codec';
import { importOnnx } from '../../engine/interop/onnx-import';
import { inheritWeights } from '../../engine/model/inherit';
import { loadModel } from '../../engine/model/io';
import { checkWeights, Network } from '../../engine/model/network';
import { disposeWeights, WeightMap, weightSpecs } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { inferShapes } from '../../engine/spec/shapes';
import { ArchitectureSpec } from '../../engine/spec/types';
import { loadSpecFile } from '../../engine/spec/validate';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { assertClose } from './helpers';
import { esnac, runHelper, skipReason } from './python';

interface TorchResult {
  name: string;
  params: number;
  inputShape: [number, number, number, number];
  output: number[];
}

const MODELS = ['resnet18', 'vgg11_bn', 'mobilenet_v2', 'shufflenet_v2_x0_5'];

describe('importing torchvision models exported by torch.onnx', { skip: skipReason }, () => {
  let dir: string;
  const results = new Map<string, TorchResult>();
  const onnxPath = (name: string) => join(dir, `${name}.onnx`);

  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'esnac-onnx-'));
    runHelper('torchvision_models.py', [dir, '32', ...MODELS]);
    for (const r of JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as TorchResult[]) results.set(r.name, r);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** tfjs's logits for the input PyTorch saw, as a fraction of PyTorch's largest logit off. */
  function assertSameOutputs(name: string, spec: ArchitectureSpec, weights: WeightMap): number {
    const torch = results.get(name)!;
    const net = new Network(spec, weights);
    const bytes = readFileSync(join(dir, `${name}.input.bin`));
    const output = tf.tidy(() => {
      const nchw = tf.tensor4d(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), torch.inputShape);
      return Array.from(net.forward(tf.transpose(nchw, [0, 2, 3, 1]), { training: false }).dataSync());
    });
    net.dispose();
    return assertClose(output, torch.output, 1e-4);
  }

  for (const name of ['resnet18', 'vgg11_bn']) {
    test(`${name}: same parameter count and outputs as PyTorch`, (t) => {
      const before = tf.memory().numTensors;
      const model = readOnnxFile(onnxPath(name));
      assert.equal(model.graph.inputs[0].dims[0], 'batch', 'exported with a symbolic batch axis');
      const { spec, weights } = importOnnx(model, name, `${name}.onnx`);
      assert.equal(inferShapes(spec).params, results.get(name)!.params);
      const error = assertSameOutputs(name, spec, weights);
      t.diagnostic(`${name}: largest difference from PyTorch ${error.toExponential(2)} of the largest logit`);
      disposeWeights(weights);
      assert.equal(tf.memory().numTensors, before);
    });
  }

  test('resnet18: layers keep the module names and sums stay explicit', () => {
    const { spec, weights } = importOnnx(readOnnxFile(onnxPath('resnet18')), 'resnet18', 'resnet18.onnx');
    disposeWeights(weights);
    const ids = spec.layers.map((l) => l.id);
    for (const id of ['conv1', 'bn1', 'maxpool', 'layer1.0.conv1', 'layer2.0.downsample.0', 'layer1.0.add', 'avgpool', 'flatten', 'fc']) assert.ok(ids.includes(id), id);
    const add = spec.layers.find((l) => l.id === 'layer1.0.add')!;
    assert.deepEqual(add.inputs, ['layer1.0.bn2', 'maxpool']);
  });

  test('mobilenet_v2 is refused at its first ReLU6 (Clip), naming the file and the node', () => {
    const path = onnxPath('mobilenet_v2');
    assert.throws(() => importOnnx(readOnnxFile(path), 'mobilenet_v2', path), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.ok(err.message.startsWith(`${path}: node `), err.message);
      assert.match(err.message, /: node \d+ '\/features\/features\.0\/features\.0\.2\/Clip' \(Clip, inputs: .*; outputs: .*\): clipped activations \(ReLU6/);
      return true;
    });
  });

  test('shufflenet_v2 is refused at its first channel split (Slice)', () => {
    const path = onnxPath('shufflenet_v2_x0_5');
    assert.throws(() => importOnnx(readOnnxFile(path), 'shufflenet', path), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /node \d+ '\/stage2\/stage2\.1\/Slice' \(Slice, .*channel split/);
      return true;
    });
  });

  test('esnac import writes a teacher spec and a weights folder that search and inheritance use', async () => {
    const specPath = join(dir, 'teacher', 'resnet18.arch.yaml');
    const weightsDir = join(dir, 'teacher', 'resnet18.weights');
    const run = esnac(['import', onnxPath('resnet18'), '-o', specPath, '--weights', weightsDir]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /wrote resnet18 \(\d+ layers, 11,181,642 params\) to .*resnet18\.arch\.yaml and its weights to /);
    const before = tf.memory().numTensors;
    const spec = await loadSpecFile(specPath);
    assert.equal(spec.description, 'imported from resnet18.onnx');
    const teacher = loadModel(weightsDir);
    checkWeights(spec.name, weightSpecs(spec), teacher.weights);
    assertSameOutputs('resnet18', spec, teacher.weights);
    // A compressed candidate of the imported teacher inherits its weights.
    const rng = new Rng(1);
    const candidate = sampleCandidate(buildSearchSpace(spec), rng).spec;
    const inherited = inheritWeights({ spec, weights: teacher.weights }, candidate, rng);
    checkWeights(candidate.name, weightSpecs(candidate), inherited);
    disposeWeights(inherited);
    disposeWeights(teacher.weights);
    assert.equal(tf.memory().numTensors, before);

    const again = esnac(['import', onnxPath('resnet18'), '-o', specPath]);
    assert.equal(again.status, 1);
    assert.equal(again.stderr.trim().split('\n').pop(), `esnac: ${specPath} exists; choose another name or pass --force to overwrite it`);
  });

  test('esnac import of a model the spec cannot express says why and writes nothing', () => {
    const specPath = join(dir, 'mobilenet.arch.yaml');
    const run = esnac(['import', onnxPath('mobilenet_v2'), '-o', specPath, '--weights', join(dir, 'mobilenet.weights')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^esnac: .*mobilenet_v2\.onnx: node \d+ '.*\/Clip' \(Clip, .*clipped activations/m);
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at /);
    assert.ok(!existsSync(specPath) && !existsSync(join(dir, 'mobilenet.weights')));
  });
});
