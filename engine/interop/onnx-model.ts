// The part of an ONNX model (onnx.proto's ModelProto) that esnac reads and writes, as plain data:
// the importer and exporter work on this form, and reading or writing the protobuf bytes is a
// separate step.

/** onnx.proto TensorProto.DataType values esnac meets. */
export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /**
   * Float32Array for FLOAT; integer types as plain numbers (shapes and indices are small), or as
   * bigints, every one exact, when one of them is beyond 2^53 (INT64_MAX as "to the end" in Slice);
   * null for the data types esnac does not compute with (bool, float64...: `dataType` says which),
   * so that a file holding them reads and only a node that uses one is refused.
   */
  values: Float32Array | number[] | bigint[] | null;
}

/** Integers as numbers, or as exact bigints where a value is beyond 2^53 (as tensors' values). */
export type OnnxAttribute = number | bigint | number[] | bigint[] | string | OnnxTensor;

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' or 'ai.onnx' for the standard operators. */
  domain: string;
  /** An empty string stands for an optional input left out. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** A dimension is a number, or a name for a symbolic one (e.g. 'batch'). */
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  /** In topological order, as ONNX requires. */
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** The version of the default ('ai.onnx') operator set. */
  opsetVersion: number;
  producerName: string;
  /** metadata_props: free key/value pairs (what input the weights expect). */
  metadata?: Record<string, string>;
  graph: OnnxGraph;
}

export function tensorSize(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
