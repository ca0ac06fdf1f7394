// The protobuf bytes of an .onnx file and the plain OnnxModel form (onnx-model.ts), both ways,
// through onnx-proto (onnx.proto compiled for protobufjs). int64 fields arrive as numbers or as
// Long objects depending on whether protobufjs found the `long` package; both are taken. Values
// are read exactly: attributes and integer tensors holding one beyond 2^53 (INT64_MAX meaning "to
// the end" in Slice, as in Swin) keep bigints; sizes and versions beyond it are refused.
import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { errorMessage, UserError } from '../util/errors';
import { ONNX_FLOAT, ONNX_INT32, ONNX_INT64, OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo, tensorSize } from './onnx-model';

type Int64 = number | { low: number; high: number; unsigned?: boolean };

const AttributeType = onnx.AttributeProto.AttributeType;
/** onnx.proto TensorProto.DataLocation.EXTERNAL: the data lives in another file. */
const EXTERNAL_DATA = 1;
/** A dimension with neither a value nor a name (unknown size) in the plain form. */
export const UNKNOWN_DIM = '?';
/**
 * The plain form does not say whether a number attribute is an int or a float; the operator's
 * schema does. Fractions are floats; these are the float attributes of the operators esnac reads
 * and writes that may hold a whole number.
 */
const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'epsilon', 'momentum']);

/** Reads an .onnx file; a UserError naming it when it cannot be read or is not an ONNX model. */
export function readOnnxFile(path: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${errorMessage(err)}`);
  }
  return decodeOnnx(bytes, path);
}

/** The model in `bytes`; `source` names the file in messages. */
export function decodeOnnx(bytes: Uint8Array, source: string): OnnxModel {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new UserError(`${source}: not an ONNX model (${errorMessage(err)})`);
  }
  const { graph } = proto;
  if (!graph) throw new UserError(`${source}: not an ONNX model (no graph)`);
  const opset = proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset) throw new UserError(`${source}: the model imports no version of the standard operator set (ai.onnx)`);
  const at = (what: string) => `${source}: ${what}`;
  return {
    irVersion: int64(proto.irVersion, at('ir_version')),
    opsetVersion: int64(opset.version ?? 0, at('opset version')),
    producerName: proto.producerName,
    ...(proto.metadataProps?.length ? { metadata: Object.fromEntries(proto.metadataProps.map((p) => [p.key ?? '', p.value ?? ''])) } : {}),
    graph: {
      name: graph.name ?? '',
      nodes: (graph.node ?? []).map((n) => nodeFromProto(n, source)),
      initializers: (graph.initializer ?? []).map((t) => tensorFromProto(t, source)),
      inputs: (graph.input ?? []).map((v) => valueInfoFromProto(v, source)),
      outputs: (graph.output ?? []).map((v) => valueInfoFromProto(v, source)),
    },
  };
}

/** The .onnx bytes of `model`: float tensors as little-endian raw_data, integer ones as int64_data / int32_data. */
export function encodeOnnx(model: OnnxModel): Uint8Array {
  const { graph } = model;
  const proto: onnx.IModelProto = {
    irVersion: model.irVersion,
    opsetImport: [{ domain: '', version: model.opsetVersion }],
    producerName: model.producerName,
    ...(model.metadata ? { metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })) } : {}),
    graph: {
      name: graph.name,
      node: graph.nodes.map(nodeToProto),
      initializer: graph.initializers.map(tensorToProto),
      input: graph.inputs.map(valueInfoToProto),
      output: graph.outputs.map(valueInfoToProto),
    },
  };
  return onnx.ModelProto.encode(proto).finish();
}

/** The exact value of an int64 field. */
function exactInt64(value: Int64 | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? bits : BigInt.asIntN(64, bits);
}

/** A size, count or version: a number, refused beyond 2^53. */
function int64(value: Int64 | bigint | null | undefined, what: string): number {
  const n = exactInt64(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw new UserError(`${what}: the integer ${n} is beyond what esnac reads as a size (2^53)`);
  return Number(n);
}

const isSafe = (n: bigint) => n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER);

/** Plain numbers when every value is one exactly, else the exact bigints. */
function integers(values: bigint[]): number[] | bigint[] {
  return values.every(isSafe) ? values.map(Number) : values;
}

/** The two 32-bit halves protobufjs writes an int64 from (it takes these without the `long` package). */
function int64Bits(value: number | bigint): Int64 {
  const n = BigInt(value);
  return { low: Number(BigInt.asIntN(32, n)), high: Number(BigInt.asIntN(32, n >> 32n)) };
}

function nodeFromProto(n: onnx.INodeProto, source: string): OnnxNode {
  const attributes: Record<string, OnnxAttribute> = {};
  for (const a of n.attribute ?? []) {
    const value = attributeFromProto(a, source);
    // Graphs, string lists and the like belong to operators the importer refuses by name anyway.
    if (value !== undefined) attributes[a.name ?? ''] = value;
  }
  return { name: n.name ?? '', opType: n.opType ?? '', domain: n.domain ?? '', inputs: n.input ?? [], outputs: n.output ?? [], attributes };
}

function attributeFromProto(a: onnx.IAttributeProto, source: string): OnnxAttribute | undefined {
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT: {
      const n = exactInt64(a.i);
      return isSafe(n) ? Number(n) : n;
    }
    case AttributeType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttributeType.TENSOR:
      return a.t ? tensorFromProto(a.t, source) : undefined;
    case AttributeType.FLOATS:
      return [...(a.floats ?? [])];
    case AttributeType.INTS:
      return integers((a.ints ?? []).map(exactInt64));
    default:
      return undefined;
  }
}

function attributeToProto(name: string, value: OnnxAttribute): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'bigint') return { name, type: AttributeType.INT, i: int64Bits(value) };
  if (Array.isArray(value)) {
    const ints = value as (number | bigint)[];
    if (ints.every((v) => typeof v === 'bigint' || Number.isInteger(v))) return { name, type: AttributeType.INTS, ints: ints.map(int64Bits) };
    return { name, type: AttributeType.FLOATS, floats: value as number[] };
  }
  if (typeof value === 'object') return { name, type: AttributeType.TENSOR, t: tensorToProto(value) };
  return FLOAT_ATTRIBUTES.has(name) || !Number.isInteger(value) ? { name, type: AttributeType.FLOAT, f: value } : { name, type: AttributeType.INT, i: value };
}

function nodeToProto(n: OnnxNode): onnx.INodeProto {
  return {
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attributes).map(([name, value]) => attributeToProto(name, value)),
  };
}

function tensorFromProto(t: onnx.ITensorProto, source: string): OnnxTensor {
  const name = t.name ?? '';
  const what = `${source}: tensor '${name}'`;
  if (t.dataLocation === EXTERNAL_DATA) {
    throw new UserError(`${what} keeps its data in a separate file; save the model with its data inside the .onnx file (onnx.save(model, path, save_as_external_data=False))`);
  }
  const dims = (t.dims ?? []).map((d) => int64(d, what));
  const dataType = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : undefined;
  let values: Float32Array | number[] | bigint[];
  if (dataType === ONNX_FLOAT) {
    values = raw ? Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => raw.getFloat32(4 * i, true)) : Float32Array.from(t.floatData ?? []);
  } else if (dataType === ONNX_INT64) {
    values = integers(raw ? Array.from({ length: raw.byteLength / 8 }, (_, i) => raw.getBigInt64(8 * i, true)) : (t.int64Data ?? []).map(exactInt64));
  } else if (dataType === ONNX_INT32) {
    values = raw ? Array.from({ length: raw.byteLength / 4 }, (_, i) => raw.getInt32(4 * i, true)) : [...(t.int32Data ?? [])];
  } else {
    return { name, dims, dataType, values: null };
  }
  if (values.length !== tensorSize(dims)) throw new UserError(`${what} holds ${values.length} values for shape [${dims.join(', ')}]`);
  return { name, dims, dataType, values };
}

/** The name of an ONNX tensor data type (`BOOL`, `DOUBLE`...), for messages. */
export function dataTypeName(dataType: number): string {
  return onnx.TensorProto.DataType[dataType] ?? String(dataType);
}

function tensorToProto(t: OnnxTensor): onnx.ITensorProto {
  const base = { name: t.name, dims: t.dims, dataType: t.dataType };
  if (t.values === null) throw new Error(`tensor '${t.name}' of data type ${dataTypeName(t.dataType)} has no values esnac can write`);
  if (t.dataType === ONNX_FLOAT) {
    const bytes = new Uint8Array(4 * t.values.length);
    const view = new DataView(bytes.buffer);
    (t.values as Float32Array).forEach((v, i) => view.setFloat32(4 * i, v, true));
    return { ...base, rawData: bytes };
  }
  const ints = Array.from(t.values as (number | bigint)[]);
  return t.dataType === ONNX_INT32 ? { ...base, int32Data: ints.map(Number) } : { ...base, int64Data: ints.map(int64Bits) };
}

function valueInfoFromProto(v: onnx.IValueInfoProto, source: string): OnnxValueInfo {
  const name = v.name ?? '';
  const tensor = v.type?.tensorType;
  const dims = (tensor?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? int64(d.dimValue, `${source}: '${name}' shape`) : d.dimParam || UNKNOWN_DIM));
  return { name, elemType: tensor?.elemType ?? 0, dims };
}

function valueInfoToProto(v: OnnxValueInfo): onnx.IValueInfoProto {
  const dim = v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : d === UNKNOWN_DIM ? {} : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.elemType, shape: { dim } } } };
}
