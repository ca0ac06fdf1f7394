// The JSON + raw float32 form of ONNX models that python/bridge.py reads and writes: how the
// tests hand ONNX graphs between PyTorch and esnac's importer and exporter.
import { readFileSync, writeFileSync } from 'node:fs';
import { ONNX_FLOAT, OnnxAttribute, OnnxModel, OnnxTensor, tensorSize } from '../../engine/interop/onnx-model';

interface TensorJson {
  name: string;
  dims: number[];
  dataType: number;
  offset?: number;
  ints?: number[];
}

type AttributeJson = number | number[] | string | { tensor: TensorJson };

function tensorFromJson(t: TensorJson, data: Float32Array): OnnxTensor {
  const values = t.offset !== undefined ? data.slice(t.offset, t.offset + tensorSize(t.dims)) : t.ints!;
  return { name: t.name, dims: t.dims, dataType: t.dataType, values };
}

export function readBridge(prefix: string): OnnxModel {
  const json = JSON.parse(readFileSync(`${prefix}.json`, 'utf8'));
  const bytes = readFileSync(`${prefix}.bin`);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const attribute = (a: AttributeJson): OnnxAttribute => (typeof a === 'object' && !Array.isArray(a) ? tensorFromJson(a.tensor, data) : a);
  const g = json.graph;
  return {
    ...json,
    graph: {
      ...g,
      nodes: g.nodes.map((n: { attributes: Record<string, AttributeJson> }) => ({ ...n, attributes: Object.fromEntries(Object.entries(n.attributes).map(([k, v]) => [k, attribute(v)])) })),
      initializers: g.initializers.map((t: TensorJson) => tensorFromJson(t, data)),
    },
  };
}

export function writeBridge(model: OnnxModel, prefix: string): void {
  const chunks: Float32Array[] = [];
  let offset = 0;
  const tensorJson = (t: OnnxTensor): TensorJson => {
    if (t.dataType !== ONNX_FLOAT) return { name: t.name, dims: t.dims, dataType: t.dataType, ints: Array.from(t.values) };
    chunks.push(t.values as Float32Array);
    offset += t.values.length;
    return { name: t.name, dims: t.dims, dataType: t.dataType, offset: offset - t.values.length };
  };
  const initializers = model.graph.initializers.map(tensorJson);
  const nodes = model.graph.nodes.map((n) => ({
    ...n,
    attributes: Object.fromEntries(Object.entries(n.attributes).map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) ? { tensor: tensorJson(v) } : v])),
  }));
  writeFileSync(`${prefix}.json`, JSON.stringify({ ...model, graph: { ...model.graph, nodes, initializers } }));
  const data = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  writeFileSync(`${prefix}.bin`, new Uint8Array(data.buffer));
}
