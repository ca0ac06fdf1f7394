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
  // `?.`: validation asks this of a spec whose other layers the schema may have refused.
  return index === 0 ? [INPUT_ID] : [spec.layers[index - 1]?.id];
}

/**
 * The layers whose shape can be known while others are broken (a schema or graph problem):
 * those not in `broken` whose inputs all come, through such layers, from the network input; in
 * a topological order. Validation infers their shapes to report every independent problem.
 */
export function soundLayers(spec: ArchitectureSpec, broken: ReadonlySet<number>): ResolvedLayer[] {
  const entries = spec.layers.map((layer, index) => ({ index, layer, inputs: broken.has(index) ? [] : layerInputs(spec, index) })).filter((e) => !broken.has(e.index));
  const byId = new Map<string, ResolvedLayer>();
  for (const e of entries) if (!byId.has(e.layer.id)) byId.set(e.layer.id, e);
  // Inputs that are not sound layers (broken, unknown) leave their reader waiting for good.
  return topologicalOrder(entries, byId, false);
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
function topologicalOrder(entries: ResolvedLayer[], byId: Map<string, ResolvedLayer>, whole = true): ResolvedLayer[] {
  const pending = new Map<number, number>();
  const dependants = new Map<string, number[]>();
  for (const e of entries) {
    let count = 0;
    for (const src of e.inputs) {
      if (src === INPUT_ID) continue;
      count++;
      if (!byId.has(src)) {
        if (whole) throw new Error(`layer '${e.layer.id}' reads unknown layer '${src}'`);
        continue;
      }
      const list = dependants.get(src) ?? [];
      list.push(e.index);
      dependants.set(src, list);
    }
    pending.set(e.index, count);
  }
  const byIndex = new Map(entries.map((e) => [e.index, e]));
  const ready = entries.filter((e) => pending.get(e.index) === 0).map((e) => e.index);
  const order: ResolvedLayer[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const next = byIndex.get(ready.shift()!)!;
    order.push(next);
    // Only the layer an id names (the first with it) feeds its readers.
    if (byId.get(next.layer.id) !== next) continue;
    for (const d of dependants.get(next.layer.id) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (whole && order.length !== entries.length) {
    const stuck = entries.filter((e) => pending.get(e.index)! > 0).map((e) => e.layer.id);
    throw new Error(`the layers form a cycle through: ${stuck.join(', ')}`);
  }
  return order;
}
