import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { onnx } from 'onnx-proto';
import '@tensorflow/tfjs-backend-cpu';
import { decodeOnnx, encodeOnnx } from '../../engine/interop/onnx-codec';
import { exportOnnx } from '../../engine/interop/onnx-export';
import { importOnnx } from '../../engine/interop/onnx-import';
import { ONNX_FLOAT, ONNX_INT64, OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor } from '../../engine/interop/onnx-model';
import { Network } from '../../engine/model/network';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { MINI_SHUFFLE_V2 } from '../space/fixtures/specs';
import { esnac } from './python';

before(async () => {
  await tf.setBackend('cpu');
});

/** An initializer: float32 filled with 0.5 unless `values` are given; `int` for int64 (indices, shapes). */
interface Initializer {
  dims: number[];
  values?: number[];
  int?: boolean;
}

/** An opset-13 model of `nodes`, from float32 'input' to float32 `output`. */
function onnxModel(nodes: OnnxNode[], initializers: OnnxTensor[], inputDims: (number | string)[], output: string, outputDims: (number | string)[]): OnnxModel {
  return {
    irVersion: 7,
    opsetVersion: 13,
    producerName: 'test',
    graph: {
      name: 'g',
      nodes,
      initializers,
      inputs: [{ name: 'input', elemType: ONNX_FLOAT, dims: inputDims }],
      outputs: [{ name: output, elemType: ONNX_FLOAT, dims: outputDims }],
    },
  };
}

/** input [1, C, 4, 4] -> one node (reading the initializers after the input) -> Flatten. */
function model(op: string, attributes: Record<string, OnnxAttribute>, weights: Initializer[] = [], channels = 2): OnnxModel {
  const names = weights.map((_, i) => `w${i}`);
  const nodes: OnnxNode[] = [
    { name: '/block/op', opType: op, domain: '', inputs: ['input', ...names], outputs: ['y'], attributes },
    { name: '/Flatten', opType: 'Flatten', domain: '', inputs: ['y'], outputs: ['f'], attributes: { axis: 1 } },
  ];
  const initializer = (w: Initializer, i: number) => {
    const size = w.dims.reduce((a, b) => a * b, 1);
    if (w.int) return { name: names[i], dims: w.dims, dataType: ONNX_INT64, values: w.values ?? [] };
    return { name: names[i], dims: w.dims, dataType: ONNX_FLOAT, values: w.values ? Float32Array.from(w.values) : new Float32Array(size).fill(0.5) };
  };
  return onnxModel(nodes, weights.map(initializer), [1, channels, 4, 4], 'f', [1, channels * 16]);
}

function refusal(m: OnnxModel, pattern: RegExp): void {
  assert.throws(() => importOnnx(m, 'm', 'm.onnx'), (err: Error) => {
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, /^m\.onnx: node 0 '\/block\/op' \(\w+, inputs: input(, w\d)*; outputs: y\) in module 'block': /);
    assert.match(err.message, pattern);
    return true;
  });
}

/** The first layer of an imported model, its weights disposed. */
function firstLayer(m: OnnxModel): unknown {
  const { spec, weights } = importOnnx(m, 'm', 'm.onnx');
  disposeWeights(weights);
  return spec.layers[0];
}

const scalar = (value: number): Initializer => ({ dims: [], values: [value] });
const ints = (...values: number[]): Initializer => ({ dims: [values.length], values, int: true });

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

test('pooling keeps ceil_mode, and count_include_pad where padding makes it matter (ONNX defaults it to 0, PyTorch to True)', () => {
  assert.deepEqual(firstLayer(model('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })), { id: 'block', type: 'maxpool', kernel: 3, stride: 2, ceilMode: true });
  assert.deepEqual(firstLayer(model('AveragePool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })), { id: 'block', type: 'avgpool', kernel: 3, stride: 1, padding: 1, countIncludePad: false });
  assert.deepEqual(firstLayer(model('AveragePool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 1 })), { id: 'block', type: 'avgpool', kernel: 3, stride: 1, padding: 1 });
  assert.deepEqual(firstLayer(model('AveragePool', { kernel_shape: [2, 2], strides: [2, 2] })), { id: 'block', type: 'avgpool', kernel: 2, stride: 2 });
});

test('batchnorm keeps its epsilon, as the shortest decimal of ONNX\'s float32 (PyTorch\'s default left out)', () => {
  const channels = [1, 2, 3, 4].map(() => ({ dims: [2] }));
  assert.deepEqual(firstLayer(model('BatchNormalization', { epsilon: Math.fround(1e-3) }, channels)), { id: 'block', type: 'batchnorm', eps: 0.001 });
  assert.deepEqual(firstLayer(model('BatchNormalization', { epsilon: Math.fround(1e-5) }, channels)), { id: 'block', type: 'batchnorm' });
  refusal(model('BatchNormalization', { epsilon: 0 }, channels), /epsilon 0: a batchnorm's epsilon is in \(0, 1\]/);
});

test('Sigmoid, PyTorch\'s HardSigmoid, HardSwish and Tanh are activations; other operators are refused by name', () => {
  assert.deepEqual(firstLayer(model('Sigmoid', {})), { id: 'block', type: 'sigmoid' });
  assert.deepEqual(firstLayer(model('HardSigmoid', { alpha: Math.fround(1 / 6) })), { id: 'block', type: 'hardsigmoid' });
  assert.deepEqual(firstLayer(model('HardSwish', {})), { id: 'block', type: 'hardswish' });
  assert.deepEqual(firstLayer(model('Tanh', {})), { id: 'block', type: 'tanh' });
  refusal(model('HardSigmoid', {}), /HardSigmoid with alpha 0\.2 and beta 0\.5: only PyTorch's hardsigmoid/);
  refusal(model('LeakyRelu', {}), /activations are relu, relu6 \(Clip\(0, 6\)\), sigmoid, hardsigmoid, hardswish, silu and tanh/);
  refusal(model('Softmax', { axis: 1 }), /only a Softmax over the classes that gives the output is supported[^]*\nhint: remove the final log_softmax \/ softmax: esnac wants logits$/);
});

/** A node of a hand-made graph, named as torch.onnx names them: '/MODULE/OP'. */
function node(module: string, opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttribute> = {}): OnnxNode {
  return { name: `/${module}/${opType}`, opType, domain: '', inputs, outputs: [output], attributes };
}

const int64s = (name: string, values: number[]): OnnxTensor => ({ name, dims: [values.length], dataType: ONNX_INT64, values });
const floats = (name: string, dims: number[]): OnnxTensor => ({ name, dims, dataType: ONNX_FLOAT, values: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1)) });

test('x * sigmoid(x) is silu, x * hardsigmoid(x) hardswish, a Cx1x1 gate times the features a mul; a final LogSoftmax is dropped with a note', () => {
  // input [1, 2, 4, 4] -> silu -> hardswish -> SE (global average, 1x1 conv, sigmoid, product) -> flatten -> linear -> log_softmax.
  const nodes = [
    node('act1', 'Sigmoid', ['input'], 's'),
    node('act1', 'Mul', ['input', 's'], 'silu'),
    node('act2', 'HardSigmoid', ['silu'], 'h', { alpha: Math.fround(1 / 6) }),
    node('act2', 'Mul', ['h', 'silu'], 'hswish'),
    node('se/avgpool', 'GlobalAveragePool', ['hswish'], 'avg'),
    node('se/fc', 'Conv', ['avg', 'fc.weight'], 'fc', { kernel_shape: [1, 1] }),
    node('se/scale_activation', 'Sigmoid', ['fc'], 'gate'),
    node('se', 'Mul', ['gate', 'hswish'], 'scaled'),
    node('', 'Flatten', ['scaled'], 'flat', { axis: 1 }),
    node('classifier', 'Gemm', ['flat', 'w', 'b'], 'logits', { transB: 1 }),
    node('', 'LogSoftmax', ['logits'], 'out', { axis: 1 }),
  ];
  const m = onnxModel(nodes, [floats('fc.weight', [2, 2, 1, 1]), floats('w', [3, 32]), floats('b', [3])], [1, 2, 4, 4], 'out', [1, 3]);
  const { spec, weights, notes } = importOnnx(m, 'm', 'm.onnx');
  assert.deepEqual(
    spec.layers.map((l) => `${l.id}:${l.type}${l.inputs ? `(${l.inputs.join(', ')})` : ''}`),
    ['act1:silu', 'act2:hardswish', 'se.avgpool:globalavgpool', 'se.fc:conv', 'se.scale_activation:sigmoid', 'se.mul:mul(se.scale_activation, act2)', 'flatten:flatten', 'classifier:linear'],
  );
  assert.deepEqual(notes, ["m.onnx: dropped the final LogSoftmax (node 10 '//LogSoftmax'): esnac works on logits, the spec's output is the layer before it"]);
  // The same network by hand in tfjs: the layers compute what the ONNX operators do.
  const net = new Network(spec, weights);
  const x = tf.tensor4d(Float32Array.from({ length: 32 }, (_, i) => Math.cos(i) * 4), [1, 4, 4, 2]);
  const expected = tf.tidy(() => {
    const silu = tf.mul(x, tf.sigmoid(x));
    const hswish = tf.mul(silu, tf.div(tf.relu6(tf.add(silu, 3)), 6));
    const avg = tf.mean(hswish, [1, 2]);
    const gate = tf.sigmoid(tf.matMul(avg, tf.reshape(weights.get('se.fc/weight')!, [2, 2])));
    const scaled = tf.mul(hswish, tf.reshape(gate, [1, 1, 1, 2]));
    const flat = tf.reshape(tf.transpose(scaled, [0, 3, 1, 2]), [1, 32]);
    return Array.from(tf.add(tf.matMul(flat, weights.get('classifier/weight')!), weights.get('classifier/bias')!).dataSync());
  });
  const actual = tf.tidy(() => Array.from(net.forward(x, { training: false }).dataSync()));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-5, `${actual} != ${expected}`);
  net.dispose();
  x.dispose();
  disposeWeights(weights);
});

test('a zero Pad is the padding of the AveragePool or Conv that reads it (nn.AvgPool2d and F.avg_pool2d export so); other pads are refused', () => {
  const padded = (pads: number[], next: OnnxNode, extra: OnnxTensor[] = [], value?: number) =>
    onnxModel(
      [node('pool', 'Pad', ['input', 'pads', ...(value !== undefined ? ['value'] : [])], 'p', { mode: 'constant' }), next, node('', 'Flatten', ['y'], 'f', { axis: 1 })],
      [int64s('pads', pads), ...extra, ...(value !== undefined ? [{ name: 'value', dims: [], dataType: ONNX_FLOAT, values: Float32Array.of(value) }] : [])],
      [1, 2, 4, 4],
      'f',
      [1, 32],
    );
  const average = node('pool', 'AveragePool', ['p'], 'y', { kernel_shape: [3, 3], strides: [1, 1], ceil_mode: 0 });
  assert.deepEqual(firstLayer(padded([0, 0, 1, 1, 0, 0, 1, 1], average)), { id: 'pool', type: 'avgpool', kernel: 3, stride: 1, padding: 1 });
  const pool2 = node('pool', 'AveragePool', ['p'], 'y', { kernel_shape: [2, 2], strides: [2, 2] });
  const flat8 = (m: OnnxModel) => ({ ...m, graph: { ...m.graph, outputs: [{ ...m.graph.outputs[0], dims: [1, 8] }] } });
  assert.deepEqual(firstLayer(flat8(padded([0, 0, 0, 0, 0, 0, 0, 0], pool2))), { id: 'pool', type: 'avgpool', kernel: 2, stride: 2 });
  const conv = node('pool', 'Conv', ['p', 'w'], 'y', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  assert.deepEqual(firstLayer(padded([0, 0, 1, 1, 0, 0, 1, 1], conv, [floats('w', [2, 2, 3, 3])])), { id: 'pool', type: 'conv', out: 2, kernel: 3, padding: 2, bias: false });
  const refused = (m: OnnxModel, pattern: RegExp) => assert.throws(() => importOnnx(m, 'm', 'm.onnx'), (err: Error) => err instanceof UserError && pattern.test(err.message));
  refused(padded([0, 0, 1, 0, 0, 0, 1, 0], average), /pads \[0, 0, 1, 0, 0, 0, 1, 0\]: the spec supports the same padding on every side only/);
  refused(padded([0, 0, 1, 1, 0, 0, 1, 1], average, [], 1), /padding with 1: only zero padding/);
  refused(padded([0, 0, 1, 1, 0, 0, 1, 1], node('pool', 'MaxPool', ['p'], 'y', { kernel_shape: [3, 3], strides: [1, 1] })), /must be a computed tensor, not a zero padding/);
});

test('every node the spec cannot express is named at once, with its module and the hints that apply', () => {
  // A default (training=EVAL) export: the conv's weight is a folded constant and no BatchNormalization is left.
  const nodes = [
    node('features/features.0', 'Conv', ['input', 'onnx::Conv_7', 'onnx::Conv_8'], 'c', { kernel_shape: [1, 1] }),
    node('features/features.1', 'LeakyRelu', ['c'], 'l'),
    node('features/features.2', 'Relu', ['l'], 'r'),
    node('features/features.3', 'Erf', ['c'], 'e'),
    node('', 'Sum', ['r', 'e'], 's'),
    node('', 'Flatten', ['s'], 'f', { axis: 1 }),
    node('', 'Softmax', ['f'], 'p', { axis: 1 }),
    node('', 'Relu', ['p'], 'out'),
  ];
  const m = onnxModel(nodes, [floats('onnx::Conv_7', [2, 2, 1, 1]), floats('onnx::Conv_8', [2])], [1, 2, 4, 4], 'out', [1, 32]);
  assert.throws(() => importOnnx(m, 'm', 'm.onnx'), (err: Error) => {
    assert.ok(err instanceof UserError);
    assert.deepEqual(err.message.split('\n'), [
      'm.onnx: 2 nodes cannot be imported:',
      "  node 1 '/features/features.1/LeakyRelu' (LeakyRelu, inputs: c; outputs: l) in module 'features.1': the spec format's activations are relu, relu6 (Clip(0, 6)), sigmoid, hardsigmoid, hardswish, silu and tanh",
      "  node 3 '/features/features.3/Erf' (Erf, inputs: c; outputs: e) in module 'features.3': the spec format's activations are relu, relu6 (Clip(0, 6)), sigmoid, hardsigmoid, hardswish, silu and tanh (Erf comes from GELU)",
      '(5 nodes reading what these compute were checked for their operator only)',
      "hint: its convs carry batchnorm folded into them (torch.onnx.export's default, training=EVAL): export with training=torch.onnx.TrainingMode.PRESERVE to keep batchnorm layers",
    ]);
    return true;
  });
});

test('Clip(0, 6) is relu6, its bounds as inputs (opset 11 on) or attributes; other ranges are refused', () => {
  assert.deepEqual(firstLayer(model('Clip', {}, [scalar(0), scalar(6)])), { id: 'block', type: 'relu6' });
  assert.deepEqual(firstLayer(model('Clip', { min: 0, max: 6 })), { id: 'block', type: 'relu6' });
  refusal(model('Clip', {}, [scalar(0), scalar(1)]), /Clip\(0, 1\): only Clip\(0, 6\), ReLU6, is supported/);
  refusal(model('Clip', {}, [scalar(0)]), /Clip\(0, inf\)/);
  refusal(model('Clip', {}), /Clip\(-inf, inf\)/);
});

test('a Slice of one of k equal channel parts is a chunk; other slices are refused', () => {
  assert.deepEqual(firstLayer(model('Slice', {}, [ints(4), ints(6), ints(1)], 6)), { id: 'block.op', type: 'chunk', chunks: 3, index: 2 });
  // Negative and too large bounds count as ONNX says: [-2, 100) of 6 channels is [4, 6).
  assert.deepEqual(firstLayer(model('Slice', {}, [ints(-2), ints(100), ints(-3)], 6)), { id: 'block.op', type: 'chunk', chunks: 3, index: 2 });
  refusal(model('Slice', {}, [ints(1), ints(4), ints(1)], 6), /channels \[1, 4\) of 6: only one of k equal parts of the channels \(torch\.chunk\) is supported/);
  refusal(model('Slice', {}, [ints(0), ints(2), ints(2)]), /slicing along axis 2: only channel chunks/);
  refusal(model('Slice', {}, [ints(0), ints(2), ints(1), ints(2)]), /a step of 2/);
});

test('a Slice to INT64_MAX (how torch exports x[:, c:]) is read exactly and is a chunk to the end; extremes elsewhere are refused by name', () => {
  const INT64_MAX = 2n ** 63n - 1n;
  const wide = (values: bigint[]): OnnxTensor => ({ name: 'w1', dims: [values.length], dataType: ONNX_INT64, values });
  const m = model('Slice', {}, [ints(4), ints(0), ints(1)], 6);
  m.graph.initializers[1] = wide([INT64_MAX]);
  const decoded = decodeOnnx(encodeOnnx(m), 'm.onnx');
  assert.deepEqual(decoded.graph.initializers[1].values, [INT64_MAX]);
  assert.deepEqual(firstLayer(decoded), { id: 'block.op', type: 'chunk', chunks: 3, index: 2 });
  const reshape = model('Reshape', {}, [ints(1, 2)], 2);
  reshape.graph.initializers[0] = { ...wide([1n, INT64_MAX]), name: 'w0' };
  refusal(reshape, /input 1 \('w0'\) is \[1, 9223372036854775807\], beyond 2\^53: no size, index or count of a network esnac imports/);
  refusal(model('Flatten', { axis: INT64_MAX }), /attribute axis is 9223372036854775807, beyond 2\^53/);
  const masked = model('Reshape', {}, [ints(1, 32)]);
  masked.graph.initializers[0] = { name: 'w0', dims: [2], dataType: onnx.TensorProto.DataType.BOOL, values: null };
  refusal(masked, /input 1 \('w0'\) is a BOOL tensor; esnac reads float32, int32 and int64 constants/);
});

test('a transformer block is refused naming its attention and layer normalisation', () => {
  // Swin's form: tokens [N, L, C] from the feature map, LayerNorm as means over the last axis, q k^T, softmax, times v.
  const nodes = [
    node('features/features.0', 'Conv', ['input', 'w', 'b'], 'c', { kernel_shape: [1, 1] }),
    node('features/features.1', 'Reshape', ['c', 'tokens'], 't'),
    node('features/features.1/norm1', 'ReduceMean', ['t'], 'mean', { axes: [-1] }),
    node('features/features.1/norm1', 'Sub', ['t', 'mean'], 'centred'),
    node('features/features.1/attn', 'Transpose', ['centred'], 'k', { perm: [0, 2, 1] }),
    node('features/features.1/attn', 'MatMul', ['centred', 'k'], 'scores'),
    node('features/features.1/attn', 'Softmax', ['scores'], 'weights', { axis: -1 }),
    node('features/features.1/attn', 'MatMul', ['weights', 'centred'], 'attended'),
    node('', 'Flatten', ['attended'], 'out', { axis: 1 }),
  ];
  const m = onnxModel(nodes, [floats('w', [2, 2, 1, 1]), floats('b', [2]), int64s('tokens', [1, 2, 16])], [1, 2, 4, 4], 'out', [1, 32]);
  assert.throws(() => importOnnx(decodeOnnx(encodeOnnx(m), 'm.onnx'), 'm', 'm.onnx'), (err: Error) => {
    assert.ok(err instanceof UserError, String(err));
    const hints = err.message.split('\n').filter((l) => l.startsWith('hint: '));
    assert.deepEqual(hints, [
      "hint: the model has attention (2 MatMul of two computed tensors, 1 Softmax inside the network, the first in module 'features.1.attn'): the spec format has convolutional layers only, no attention",
      "hint: the model has layer normalisation (1 mean(s) over the last axis, the first in module 'features.1.norm1'): the spec format normalises with batchnorm only",
    ]);
    return true;
  });
});

test('a Split of the channels into equal parts is one chunk per part, in order', () => {
  const m = model('Split', { axis: 1 }, [ints(2, 2)], 4);
  const [split, flatten] = m.graph.nodes;
  split.outputs = ['y0', 'y1'];
  m.graph.nodes = [split, { name: '/cat', opType: 'Concat', domain: '', inputs: ['y1', 'y0'], outputs: ['y'], attributes: { axis: 1 } }, flatten];
  const { spec, weights } = importOnnx(m, 'm', 'm.onnx');
  assert.deepEqual(spec.layers.slice(0, 2), [
    { id: 'block.op', type: 'chunk', chunks: 2, index: 0 },
    { id: 'block.op_1', type: 'chunk', chunks: 2, index: 1, inputs: ['input'] },
  ]);
  const net = new Network(spec, weights);
  const swapped = tf.tidy(() => Array.from(net.forward(tf.tile(tf.tensor4d([0, 1, 2, 3], [1, 1, 1, 4]), [1, 4, 4, 1]), { training: false }).dataSync()));
  assert.deepEqual(swapped.filter((_, i) => i % 16 === 0), [2, 3, 0, 1]);
  net.dispose();
  disposeWeights(weights);
  refusal(model('Split', { axis: 1 }, [ints(1, 3)], 4), /splitting 4 channels into \[1, 3\]: only a split into equal parts/);
});

/**
 * input [batch, 4, 4, 4] -> a channel shuffle in 2 groups, then a flatten, as torch.onnx traces
 * `b, c, h, w = x.size(); x.view(b, 2, c // 2, h, w).transpose(1, 2).contiguous().view(b, -1, h, w).view(b, -1)`:
 * each Reshape target is Concat(Unsqueeze(Gather(Shape(x), 0)), constants). `batchShift` replaces
 * the node after Gather with Mul(b, 2) (folding the batch into another axis); `firstTarget` gives
 * the entries of the first target, 'N' for b.
 */
function tracedShuffle(batch: number | string, firstTarget: (number | 'N')[] = ['N', 2, 2, 4, 4], batchShift = false): OnnxModel {
  const node = (name: string, opType: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}): OnnxNode => ({ name: `/unit/${name}`, opType, domain: '', inputs, outputs: [name], attributes });
  const constant = (name: string, values: number[], dims = [values.length]) => node(name, 'Constant', [], { value: { name, dims, dataType: ONNX_INT64, values } });
  /** A target: Concat of b (unsqueezed) where 'N' stands and constants elsewhere. */
  const target = (name: string, entries: (number | 'N')[]) => [
    ...entries.flatMap((e, i) => (e === 'N' ? [] : [constant(`${name}_${i}`, [e])])),
    node(name, 'Concat', entries.map((e, i) => (e === 'N' ? 'b1' : `${name}_${i}`)), { axis: 0 }),
  ];
  const nodes: OnnxNode[] = [
    node('Shape', 'Shape', ['input']),
    constant('zero', [0], []),
    node('Gather', 'Gather', ['Shape', 'zero'], { axis: 0 }),
    ...(batchShift ? [constant('two', [2], []), node('Mul', 'Mul', ['Gather', 'two'])] : []),
    constant('axes', [0]),
    { ...node('Unsqueeze', 'Unsqueeze', [batchShift ? 'Mul' : 'Gather', 'axes']), outputs: ['b1'] },
    ...target('grouped', firstTarget),
    node('Reshape', 'Reshape', ['input', 'grouped']),
    node('Transpose', 'Transpose', ['Reshape'], { perm: [0, 2, 1, 3, 4] }),
    ...target('back', ['N', -1, 4, 4]),
    node('Reshape_1', 'Reshape', ['Transpose', 'back']),
    ...target('flat', ['N', -1]),
    node('Reshape_2', 'Reshape', ['Reshape_1', 'flat']),
  ];
  return onnxModel(nodes, [], [batch, 4, 4, 4], 'Reshape_2', [batch, 64]);
}

test("a channel shuffle and a flatten whose Reshape targets start with the input's own batch size import, fixed or symbolic", () => {
  for (const batch of [2, 'batch']) {
    const { spec, weights } = importOnnx(tracedShuffle(batch), 'm', 'm.onnx');
    assert.equal(weights.size, 0);
    assert.deepEqual(spec.layers, [
      { id: 'unit.shuffle', type: 'shuffle', groups: 2 },
      { id: 'unit.flatten', type: 'flatten' },
    ], String(batch));
  }
});

test('a Reshape or arithmetic that mixes the symbolic batch size with other axes is refused, naming the node', () => {
  const refused = (m: OnnxModel, pattern: RegExp) => assert.throws(() => importOnnx(m, 'm', 'm.onnx'), (err: Error) => {
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
  refused(tracedShuffle('batch', [2, 'N', 2, 4, 4]), /^m\.onnx: node \d+ '\/unit\/Reshape' \(Reshape, inputs: input, grouped; outputs: Reshape\) in module 'unit': cannot reshape \[N, 4, 4, 4\] to \[2, N, 2, 4, 4\] keeping the batch axis(\n|$)/);
  // The other entries alone have the sample's 64 values: only N's place refuses it.
  refused(tracedShuffle('batch', ['N', 4, 'N', 4, 4]), /node \d+ '\/unit\/Reshape' .* in module 'unit': cannot reshape \[N, 4, 4, 4\] to \[N, 4, N, 4, 4\] keeping the batch axis(\n|$)/);
  refused(tracedShuffle('batch', ['N', 2, 2, 4, 4], true), /^m\.onnx: node 4 '\/unit\/Mul' \(Mul, inputs: Gather, two; outputs: Mul\) in module 'unit': Mul of the symbolic batch size N: esnac keeps the batch axis/);
  // With a fixed batch, b * 2 folds to 4, which is not the batch size.
  refused(tracedShuffle(2, ['N', 2, 2, 4, 4], true), /node \d+ '\/unit\/Reshape' .* in module 'unit': cannot reshape \[N, 4, 4, 4\] to \[4, 2, 2, 4, 4\] keeping the batch axis(\n|$)/);
});

test('esnac import of a model the spec cannot express says why and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-refusal-'));
  const weights = initialWeights(MINI_SHUFFLE_V2, new Rng(1));
  const exported = exportOnnx(MINI_SHUFFLE_V2, weights);
  disposeWeights(weights);
  // The stem's ReLU6 clipped at 1 instead.
  exported.graph.initializers.find((t) => t.name === 'stem.relu.max')!.values = Float32Array.of(1);
  const onnxPath = join(dir, 'clip1.onnx');
  writeFileSync(onnxPath, encodeOnnx(exported));
  const specPath = join(dir, 'clip1.arch.yaml');
  const run = esnac(['import', onnxPath, '-o', specPath, '--weights', join(dir, 'clip1.weights')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^esnac: .*clip1\.onnx: node \d+ 'stem\.relu' \(Clip, inputs: stem\.bn, stem\.relu\.min, stem\.relu\.max; outputs: stem\.relu\): Clip\(0, 1\)/m);
  assert.doesNotMatch(run.stderr, /internal error|\n\s+at /);
  assert.ok(!existsSync(specPath) && !existsSync(join(dir, 'clip1.weights')));
  rmSync(dir, { recursive: true, force: true });
});
