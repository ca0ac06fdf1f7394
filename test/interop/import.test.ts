import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { importOnnx } from '../../engine/interop/onnx-import';
import { Network } from '../../engine/model/network';
import { disposeWeights } from '../../engine/model/weights';
import { inferShapes } from '../../engine/spec/shapes';
import { UserError } from '../../engine/util/errors';
import { readBridge } from './bridge';
import { runHelper, skipReason } from './python';
import { assertClose } from './helpers';

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

  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'esnac-onnx-'));
    runHelper('torchvision_models.py', [dir, '32', ...MODELS]);
    for (const r of JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as TorchResult[]) results.set(r.name, r);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['resnet18', 'vgg11_bn']) {
    test(`${name}: same parameter count and outputs as PyTorch`, () => {
      const torch = results.get(name)!;
      const before = tf.memory().numTensors;
      const { spec, weights } = importOnnx(readBridge(join(dir, name)), name, `${name}.onnx`);
      assert.equal(inferShapes(spec).params, torch.params);
      const net = new Network(spec, weights);
      disposeWeights(weights);
      const bytes = readFileSync(join(dir, `${name}.input.bin`));
      const output = tf.tidy(() => {
        const nchw = tf.tensor4d(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), torch.inputShape);
        return Array.from(net.forward(tf.transpose(nchw, [0, 2, 3, 1]), { training: false }).dataSync());
      });
      net.dispose();
      assertClose(output, torch.output, 1e-4);
      assert.equal(tf.memory().numTensors, before);
    });
  }

  test('resnet18: layers keep the module names and sums stay explicit', () => {
    const { spec, weights } = importOnnx(readBridge(join(dir, 'resnet18')), 'resnet18', 'resnet18.onnx');
    disposeWeights(weights);
    const ids = spec.layers.map((l) => l.id);
    for (const id of ['conv1', 'bn1', 'maxpool', 'layer1.0.conv1', 'layer2.0.downsample.0', 'layer1.0.add', 'avgpool', 'flatten', 'fc']) assert.ok(ids.includes(id), id);
    const add = spec.layers.find((l) => l.id === 'layer1.0.add')!;
    assert.deepEqual(add.inputs, ['layer1.0.bn2', 'maxpool']);
  });

  test('mobilenet_v2 is refused at its first ReLU6 (Clip)', () => {
    assert.throws(() => importOnnx(readBridge(join(dir, 'mobilenet_v2')), 'mobilenet_v2', 'mobilenet_v2.onnx'), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /^mobilenet_v2\.onnx: node \d+ '\/features\/features\.0\/features\.0\.2\/Clip' \(Clip, inputs: .*; outputs: .*\): clipped activations \(ReLU6/);
      return true;
    });
  });

  test('shufflenet_v2 is refused at its first channel split (Slice)', () => {
    assert.throws(() => importOnnx(readBridge(join(dir, 'shufflenet_v2_x0_5')), 'shufflenet', 'shufflenet_v2_x0_5.onnx'), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /node \d+ '\/stage2\/stage2\.1\/Slice' \(Slice, .*channel split/);
      return true;
    });
  });
});
