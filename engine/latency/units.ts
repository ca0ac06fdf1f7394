// A network cut into the pieces onnxruntime runs as one kernel (the nn-Meter approach): a conv or
// linear layer with the batchnorm it folds and the relu it fuses, a sum with its relu, and every
// other layer alone. Layers onnxruntime removes (dropout, single-input identity) and reshapes
// (flatten) cost nothing. Each piece becomes a network of its own, timed once per configuration.
import { resolveGraph, ResolvedLayer } from '../architecture/graph';
import { inferShapes } from '../architecture/shapes';
import { ARCH_FORMAT, ArchitectureSpec, INPUT_ID, Layer } from '../architecture/types';
import { layerStructure } from '../space/key';

export interface LatencyUnit {
  /** Equal keys time the same: the layers' structures, their input shape and input count. */
  key: string;
  /** The piece alone, fed by the network input (repeated for a sum or concat). */
  spec: ArchitectureSpec;
}

const FREE: ReadonlySet<Layer['type']> = new Set(['dropout', 'flatten']);
const ACTIVATIONS: ReadonlySet<Layer['type']> = new Set(['relu', 'relu6']);

/** What a unit that ends in `last` absorbs next, if `next` is its only consumer. */
function absorbs(unit: Layer[], next: Layer): boolean {
  const last = unit[unit.length - 1];
  if (ACTIVATIONS.has(next.type)) return !ACTIVATIONS.has(last.type);
  return next.type === 'batchnorm' && unit.length === 1 && (last.type === 'conv' || last.type === 'linear');
}

function isFree(entry: ResolvedLayer): boolean {
  return FREE.has(entry.layer.type) || (entry.layer.type === 'identity' && entry.inputs.length === 1);
}

/** The timed pieces of a valid spec, in topological order. */
export function latencyUnits(spec: ArchitectureSpec): LatencyUnit[] {
  const graph = resolveGraph(spec);
  const shapes = inferShapes(spec, graph);
  const pieces: ResolvedLayer[][] = [];
  const open = new Map<string, ResolvedLayer[]>();
  for (const entry of graph.order) {
    if (isFree(entry)) continue;
    const [source] = entry.inputs;
    const piece = entry.inputs.length === 1 ? open.get(source) : undefined;
    if (piece && graph.consumers.get(source)!.length === 1 && absorbs(piece.map((p) => p.layer), entry.layer)) {
      piece.push(entry);
      open.delete(source);
      open.set(entry.layer.id, piece);
      continue;
    }
    const fresh = [entry];
    pieces.push(fresh);
    open.set(entry.layer.id, fresh);
  }
  return pieces.map((piece) => unitOf(piece, shapes.byId.get(piece[0].layer.id)!.inShape, shapes.byId.get(piece[piece.length - 1].layer.id)!.shape[0], spec.classes));
}

function unitOf(piece: ResolvedLayer[], [c, h, w]: number[], outChannels: number, classes: number): LatencyUnit {
  const inputs = piece[0].inputs.length;
  // A concat's parts may differ in width; equal parts of the same total time alike.
  const channels = piece[0].layer.type === 'concat' ? Math.ceil(c / inputs) : c;
  // `in` is left out: a concat's stand-in input may differ from the declared width.
  const layers = piece.map(({ layer }, i) => ({ ...layer, id: `u${i}`, in: undefined, inputs: i === 0 ? Array(inputs).fill(INPUT_ID) : [`u${i - 1}`] }) as Layer);
  // Only one channel leaves onnxruntime: copying a whole feature map out to JavaScript would be
  // timed with the unit, and inside a network it never happens.
  layers.push({ id: 'out', type: 'chunk', chunks: outChannels, index: 0, inputs: [`u${piece.length - 1}`] });
  const key = JSON.stringify([[channels, h, w], inputs, piece.map(({ layer }) => layerStructure(layer))]);
  return { key, spec: { format: ARCH_FORMAT, name: 'unit', input: { channels, height: h, width: w }, classes, layers } };
}

/** What every timed run costs besides its layers (the call into onnxruntime): a one-value network. */
export const OVERHEAD_UNIT: LatencyUnit = {
  key: JSON.stringify(['overhead']),
  spec: { format: ARCH_FORMAT, name: 'overhead', input: { channels: 1, height: 1, width: 1 }, classes: 1, layers: [{ id: 'u0', type: 'identity', inputs: [INPUT_ID] }] },
};
