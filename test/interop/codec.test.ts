import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onnx } from 'onnx-proto';
import { decodeOnnx, encodeOnnx, UNKNOWN_DIM } from '../../engine/interop/onnx-codec';
import { ONNX_FLOAT, ONNX_INT32, ONNX_INT64, OnnxModel } from '../../engine/interop/onnx-model';
import { UserError } from '../../engine/util/errors';

/** Every kind of value the plain form holds, including negative and symbolic dimensions (float attributes are float32). */
const MODEL: OnnxModel = {
  irVersion: 7,
  opsetVersion: 13,
  producerName: 'test',
  graph: {
    name: 'g',
    nodes: [
      { name: 'c', opType: 'Constant', domain: '', inputs: [], outputs: ['k'], attributes: { value: { name: '', dims: [2], dataType: ONNX_INT32, values: [-3, 4] } } },
      { name: 'r', opType: 'Reshape', domain: '', inputs: ['x', 'shape'], outputs: ['y'], attributes: {} },
      { name: 'n', opType: 'BatchNormalization', domain: '', inputs: ['y', '', 'w'], outputs: ['z'], attributes: { epsilon: Math.fround(1e-5), momentum: 1, mode: 'text', scales: [0.5, 2], perm: [0, 2, 1] } },
    ],
    initializers: [
      { name: 'shape', dims: [2], dataType: ONNX_INT64, values: [0, -1] },
      { name: 'w', dims: [2, 1, 3], dataType: ONNX_FLOAT, values: Float32Array.of(1, -2.5, 3e-8, 4, 5, 6) },
      { name: 'scalar', dims: [], dataType: ONNX_FLOAT, values: Float32Array.of(0.25) },
    ],
    inputs: [{ name: 'x', elemType: ONNX_FLOAT, dims: ['batch', 3, UNKNOWN_DIM, 8] }],
    outputs: [{ name: 'z', elemType: ONNX_FLOAT, dims: ['batch', 6] }],
  },
};

function refusal(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeOnnx(bytes, 'm.onnx'),
    (err: Error) => err instanceof UserError && err.message.startsWith('m.onnx: ') && pattern.test(err.message),
  );
}

/** MODEL's bytes with the initializer `w` replaced. */
function withWeight(w: onnx.ITensorProto): Uint8Array {
  const proto = onnx.ModelProto.decode(encodeOnnx(MODEL));
  proto.graph!.initializer = [w];
  return onnx.ModelProto.encode(proto).finish();
}

test('a model reads back as written, integers as plain numbers', () => {
  const back = decodeOnnx(encodeOnnx(MODEL), 'm.onnx');
  assert.deepEqual(back, MODEL);
});

test('numbers are written with the attribute types of the operator schemas', () => {
  const [, , bn] = onnx.ModelProto.decode(encodeOnnx(MODEL)).graph!.node!;
  const types = Object.fromEntries(bn.attribute!.map((a) => [a.name, onnx.AttributeProto.AttributeType[a.type!]]));
  assert.deepEqual(types, { epsilon: 'FLOAT', momentum: 'FLOAT', mode: 'STRING', scales: 'FLOATS', perm: 'INTS' });
});

test('tensors in the typed fields read like raw_data ones', () => {
  const floats = decodeOnnx(withWeight({ name: 'w', dims: [3], dataType: ONNX_FLOAT, floatData: [1, 2, 3] }), 'm.onnx');
  assert.deepEqual(floats.graph.initializers[0].values, Float32Array.of(1, 2, 3));
  const ints = decodeOnnx(withWeight({ name: 'w', dims: [2], dataType: ONNX_INT64, int64Data: [-7, 9] }), 'm.onnx');
  assert.deepEqual(ints.graph.initializers[0].values, [-7, 9]);
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setInt32(0, -5, true);
  new DataView(raw.buffer).setInt32(4, 6, true);
  assert.deepEqual(decodeOnnx(withWeight({ name: 'w', dims: [2], dataType: ONNX_INT32, rawData: raw }), 'm.onnx').graph.initializers[0].values, [-5, 6]);
});

test('tensors of other data types read without values (the importer refuses a node that uses one); broken tensors are refused by name', () => {
  const double = decodeOnnx(withWeight({ name: 'w', dims: [1], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: [1] }), 'm.onnx');
  assert.deepEqual(double.graph.initializers[0], { name: 'w', dims: [1], dataType: onnx.TensorProto.DataType.DOUBLE, values: null });
  assert.throws(() => encodeOnnx(double), /tensor 'w' of data type DOUBLE has no values esnac can write/);
  refusal(withWeight({ name: 'w', dims: [1], dataType: ONNX_FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL }), /tensor 'w' keeps its data in a separate file/);
  refusal(withWeight({ name: 'w', dims: [4], dataType: ONNX_FLOAT, floatData: [1, 2] }), /tensor 'w' holds 2 values for shape \[4\]/);
  refusal(withWeight({ name: 'w', dims: [2 ** 60], dataType: ONNX_INT64, int64Data: [] }), /tensor 'w': the integer 1152921504606846976 is beyond what esnac reads as a size \(2\^53\)/);
});

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

test('int64 values beyond 2^53 read exactly, as bigints, in raw data, typed fields and attributes, and write back exactly', () => {
  const raw = new Uint8Array(24);
  [INT64_MAX, INT64_MIN, 3n].forEach((v, i) => new DataView(raw.buffer).setBigInt64(8 * i, v, true));
  assert.deepEqual(decodeOnnx(withWeight({ name: 'w', dims: [3], dataType: ONNX_INT64, rawData: raw }), 'm.onnx').graph.initializers[0].values, [INT64_MAX, INT64_MIN, 3n]);
  // protobufjs hands int64 fields over as Long objects: 2^53 + 1 and -2^60 - 1 lose nothing.
  const typed = decodeOnnx(withWeight({ name: 'w', dims: [2], dataType: ONNX_INT64, int64Data: [{ low: 1, high: 2 ** 21, unsigned: false }, { low: -1, high: -(2 ** 28) - 1, unsigned: false }] }), 'm.onnx');
  assert.deepEqual(typed.graph.initializers[0].values, [2n ** 53n + 1n, -(2n ** 60n) - 1n]);

  const wide: OnnxModel = {
    ...MODEL,
    graph: {
      ...MODEL.graph,
      nodes: [
        ...MODEL.graph.nodes,
        { name: 's', opType: 'Slice', domain: '', inputs: ['z'], outputs: ['s'], attributes: { ends: [INT64_MAX, 2n], end: INT64_MIN, small: [1, -2] } },
      ],
      initializers: [...MODEL.graph.initializers, { name: 'ends', dims: [2], dataType: ONNX_INT64, values: [INT64_MAX, -1n] }],
    },
  };
  const back = decodeOnnx(encodeOnnx(wide), 'm.onnx');
  assert.deepEqual(back.graph.nodes[3].attributes, { ends: [INT64_MAX, 2n], end: INT64_MIN, small: [1, -2] });
  assert.deepEqual(back.graph.initializers[3].values, [INT64_MAX, -1n]);
  assert.deepEqual(back, wide);
});

test('bytes that are not an ONNX model are refused, naming the file', () => {
  const bytes = encodeOnnx(MODEL);
  refusal(bytes.subarray(0, bytes.length - 9), /not an ONNX model/);
  refusal(new TextEncoder().encode('format: esnac.architecture/v1\nname: x\n'), /not an ONNX model/);
  refusal(onnx.ModelProto.encode({ irVersion: 7, producerName: 'x' }).finish(), /not an ONNX model \(no graph\)/);
  refusal(onnx.ModelProto.encode({ irVersion: 7, graph: { name: 'g' } }).finish(), /no version of the standard operator set/);
});
