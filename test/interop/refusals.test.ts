import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { importOnnx } from '../../engine/interop/onnx-import';
import { ONNX_FLOAT, OnnxAttribute, OnnxModel, OnnxNode } from '../../engine/interop/onnx-model';
import { UserError } from '../../engine/util/errors';

before(async () => {
  await tf.setBackend('cpu');
});

/** input [1, 2, 4, 4] -> one node -> Flatten -> Gemm to 3 classes. */
function model(op: string, attributes: Record<string, OnnxAttribute>, weights: { dims: number[] }[] = []): OnnxModel {
  const names = weights.map((_, i) => `w${i}`);
  const nodes: OnnxNode[] = [
    { name: '/block/op', opType: op, domain: '', inputs: ['input', ...names], outputs: ['y'], attributes },
    { name: '/Flatten', opType: 'Flatten', domain: '', inputs: ['y'], outputs: ['f'], attributes: { axis: 1 } },
  ];
  return {
    irVersion: 7,
    opsetVersion: 13,
    producerName: 'test',
    graph: {
      name: 'g',
      nodes,
      initializers: weights.map((w, i) => ({ name: names[i], dims: w.dims, dataType: ONNX_FLOAT, values: new Float32Array(w.dims.reduce((a, b) => a * b, 1)).fill(0.5) })),
      inputs: [{ name: 'input', elemType: ONNX_FLOAT, dims: [1, 2, 4, 4] }],
      outputs: [{ name: 'f', elemType: ONNX_FLOAT, dims: [1, 32] }],
    },
  };
}

function refusal(m: OnnxModel, pattern: RegExp): void {
  assert.throws(() => importOnnx(m, 'm', 'm.onnx'), (err: Error) => {
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, /^m\.onnx: node 0 '\/block\/op' \(\w+, inputs: input(, w\d)*; outputs: y\): /);
    assert.match(err.message, pattern);
    return true;
  });
}

const convWeight = [{ dims: [2, 2, 3, 3] }];

test('a plain conv imports (the models below differ from it in one attribute)', () => {
  const { spec, weights } = importOnnx(model('Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, convWeight), 'm', 'm.onnx');
  assert.deepEqual(spec.layers[0], { id: 'block', type: 'conv', out: 2, kernel: 3, padding: 1, bias: false });
  for (const t of weights.values()) t.dispose();
});

test('conv attributes the spec cannot express are refused', () => {
  refusal(model('Conv', { kernel_shape: [3, 3], pads: [0, 0, 1, 1] }, convWeight), /pads \[0, 0, 1, 1\]: the spec supports the same padding on every side only/);
  refusal(model('Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], dilations: [2, 2] }, convWeight), /dilated/);
  refusal(model('Conv', { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER' }, convWeight), /auto_pad SAME_UPPER/);
  refusal(model('Conv', { kernel_shape: [3, 3], strides: [1, 2], pads: [1, 1, 1, 1] }, convWeight), /strides \[1, 2\]/);
});

test('pooling in ceil mode and padding left out of the average are refused', () => {
  refusal(model('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), /ceil_mode 1/);
  refusal(model('AveragePool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }), /count_include_pad/);
});

test('batchnorm with another epsilon is refused', () => {
  const channels = [1, 2, 3, 4].map(() => ({ dims: [2] }));
  refusal(model('BatchNormalization', { epsilon: 1e-3 }, channels), /epsilon 0\.001/);
});

test('operators the spec has no layer for are refused by name', () => {
  refusal(model('Clip', {}), /ReLU6/);
  refusal(model('Softmax', {}), /the spec format has no layer for this operator/);
});
