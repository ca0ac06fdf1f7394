// A structural key for deduplication: two specs get the same key exactly when they describe the
// same network in the same topological order, whatever their names, descriptions, candidate
// records, layer ids, the order of summed inputs (a sum is commutative; a concat is not) or which
// defaults are spelled out.
import { createHash } from 'node:crypto';
import { resolveGraph } from '../architecture/graph';
import { ArchitectureSpec, INPUT_ID, Layer } from '../architecture/types';

/** The layer's structure with defaults applied; ids, inputs and the derived `in` left out. */
export function layerStructure(layer: Layer): unknown[] {
  switch (layer.type) {
    case 'conv':
      return [layer.type, layer.out, layer.kernel, layer.stride ?? 1, layer.padding ?? 0, layer.groups ?? 1, layer.bias ?? true];
    case 'linear':
      return [layer.type, layer.out, layer.bias ?? true];
    case 'maxpool':
    case 'avgpool':
      return [layer.type, layer.kernel, layer.stride ?? layer.kernel, layer.padding ?? 0];
    case 'shuffle':
      return [layer.type, layer.groups];
    case 'chunk':
      return [layer.type, layer.chunks, layer.index];
    case 'dropout':
      return [layer.type, layer.rate];
    default:
      return [layer.type];
  }
}

export function candidateKey(spec: ArchitectureSpec): string {
  const graph = resolveGraph(spec);
  const position = new Map<string, number>([[INPUT_ID, -1]]);
  graph.order.forEach((entry, p) => position.set(entry.layer.id, p));
  const layers = graph.order.map(({ layer, inputs }) => {
    const sources = inputs.map((id) => position.get(id)!);
    if (layer.type !== 'concat') sources.sort((a, b) => a - b);
    return [...layerStructure(layer), sources];
  });
  const text = JSON.stringify([[spec.input.channels, spec.input.height, spec.input.width], spec.classes, position.get(graph.output), layers]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
