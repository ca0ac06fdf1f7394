import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { encodeOnnx } from '../../engine/interop/onnx-codec';
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
    assert.match(err.message, /^m\.onnx: node 0 '\/block\/op' \(\w+, inputs: input(, w\d)*; outputs: y\): /);
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

test('pooling in ceil mode and padding left out of the average are refused', () => {
  refusal(model('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), /ceil_mode 1/);
  refusal(model('AveragePool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }), /count_include_pad/);
});

test('batchnorm with another epsilon is refused', () => {
  const channels = [1, 2, 3, 4].map(() => ({ dims: [2] }));
  refusal(model('BatchNormalization', { epsilon: 1e-3 }, channels), /epsilon 0\.001/);
});

test('operators the spec has no layer for are refused by name', () => {
  refusal(model('Softmax', {}), /the spec format has no layer for this operator/);
  refusal(model('HardSwish', {}), /relu and relu6 \(Clip\(0, 6\)\) as its only activations/);
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
  refused(tracedShuffle('batch', [2, 'N', 2, 4, 4]), /^m\.onnx: node \d+ '\/unit\/Reshape' \(Reshape, inputs: input, grouped; outputs: Reshape\): cannot reshape \[N, 4, 4, 4\] to \[2, N, 2, 4, 4\] keeping the batch axis$/);
  // The other entries alone have the sample's 64 values: only N's place refuses it.
  refused(tracedShuffle('batch', ['N', 4, 'N', 4, 4]), /node \d+ '\/unit\/Reshape' .*: cannot reshape \[N, 4, 4, 4\] to \[N, 4, N, 4, 4\] keeping the batch axis$/);
  refused(tracedShuffle('batch', ['N', 2, 2, 4, 4], true), /^m\.onnx: node 4 '\/unit\/Mul' \(Mul, inputs: Gather, two; outputs: Mul\): Mul of the symbolic batch size N: esnac keeps the batch axis/);
  // With a fixed batch, b * 2 folds to 4, which is not the batch size.
  refused(tracedShuffle(2, ['N', 2, 2, 4, 4], true), /node \d+ '\/unit\/Reshape' .*: cannot reshape \[N, 4, 4, 4\] to \[4, 2, 2, 4, 4\] keeping the batch axis$/);
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
