// A spec as a resolved DAG: defaults filled in, inputs explicit, layers in topological order.
// Callers must have validated the spec (engine/architecture/validate) first: this module throws on
// broken references and cycles rather than reporting them with positions.
import { ArchitectureSpec, INPUT_ID, Layer } from './types';

export interface ResolvedLayer {
  /** Index of the layer in spec.layers (for positions and writing back). */
  index: number;
  layer: Layer;
  /** Explicit inputs, `input` standing for the network input. */
  inputs: string[];
}

export interface ResolvedGraph {
  /** Layers in a topological order; stable: ties keep the file's order. */
  order: ResolvedLayer[];
  byId: Map<string, ResolvedLayer>;
  output: string;
  /** Consumers of each id (including `input`), in topological order. */
  consumers: Map<string, string[]>;
}

/** The inputs a layer reads once the default (previous layer, or `input`) is applied. */
export function layerInputs(spec: ArchitectureSpec, index: number): string[] {
  const layer = spec.layers[index];
  if (layer.inputs !== undefined) return layer.inputs;
  return index === 0 ? [INPUT_ID] : [spec.layers[index - 1].id];
}

export function resolveGraph(spec: ArchitectureSpec): ResolvedGraph {
  const entries: ResolvedLayer[] = spec.layers.map((layer, index) => ({ index, layer, inputs: layerInputs(spec, index) }));
  const byId = new Map(entries.map((e) => [e.layer.id, e]));
  const order = topologicalOrder(entries, byId);
  const consumers = new Map<string, string[]>([[INPUT_ID, []]]);
  for (const e of order) consumers.set(e.layer.id, []);
  for (const e of order) {
    for (const src of e.inputs) consumers.get(src)!.push(e.layer.id);
  }
  const output = spec.output ?? spec.layers[spec.layers.length - 1].id;
  return { order, byId, output, consumers };
}

// Kahn's algorithm, always taking the ready layer that comes first in the file, so a file
// already in topological order keeps its order.
function topologicalOrder(entries: ResolvedLayer[], byId: Map<string, ResolvedLayer>): ResolvedLayer[] {
  const pending = new Map<string, number>();
  const dependants = new Map<string, number[]>();
  for (const e of entries) {
    let count = 0;
    for (const src of e.inputs) {
      if (src === INPUT_ID) continue;
      if (!byId.has(src)) throw new Error(`layer '${e.layer.id}' reads unknown layer '${src}'`);
      count++;
      const list = dependants.get(src) ?? [];
      list.push(e.index);
      dependants.set(src, list);
    }
    pending.set(e.layer.id, count);
  }
  const ready = entries.filter((e) => pending.get(e.layer.id) === 0).map((e) => e.index);
  const order: ResolvedLayer[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const next = entries[ready.shift()!];
    order.push(next);
    for (const d of dependants.get(next.layer.id) ?? []) {
      const id = entries[d].layer.id;
      const left = pending.get(id)! - 1;
      pending.set(id, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length !== entries.length) {
    const stuck = entries.filter((e) => pending.get(e.layer.id)! > 0).map((e) => e.layer.id);
    throw new Error(`the layers form a cycle through: ${stuck.join(', ')}`);
  }
  return order;
}
