// Which layers removal and skip addition may touch, judged on the teacher.
//
// A tensor here carries one fact more than engine/architecture/shapes: whether it holds flat features
// (after flatten or linear) or a feature map. A 512x1x1 map and 512 flat features share a Shape
// but are different tensors (PyTorch ranks 4 and 2). The authors' counts treat them as different
// (a flatten after a 1x1 map is not removable, and the map does not skip into the classifier),
// and so do we: that is what reproduces their removable and skip-candidate counts.
import { ResolvedGraph } from '../architecture/graph';
import { sameShape, ShapeReport } from '../architecture/shapes';
import { INPUT_ID, LayerType, Shape } from '../architecture/types';

export interface Tensor {
  shape: Shape;
  flat: boolean;
}

export interface LayerTensors {
  id: string;
  type: LayerType;
  /** Position in the teacher's topological order. */
  position: number;
  /** What the layer reads, after summing or concatenating its inputs. */
  input: Tensor;
  output: Tensor;
  /** Its input ids, `input` standing for the network input. */
  sources: string[];
}

/** Per layer input and output tensors, in topological order. The spec must have no shape issues. */
export function layerTensors(graph: ResolvedGraph, report: ShapeReport): LayerTensors[] {
  const flat = new Map<string, boolean>([[INPUT_ID, false]]);
  return graph.order.map(({ layer, inputs }, position) => {
    const stats = report.byId.get(layer.id);
    if (!stats) throw new Error(`layer '${layer.id}' has no inferred shape: validate the spec first`);
    // A product reads flat features only when every input is flat (a [N, C] gate scales a map).
    const inFlat = layer.type === 'mul' ? inputs.every((id) => flat.get(id)) : inputs.some((id) => flat.get(id));
    const outFlat = layer.type === 'flatten' || layer.type === 'linear' || inFlat;
    flat.set(layer.id, outFlat);
    return {
      id: layer.id,
      type: layer.type,
      position,
      input: { shape: stats.inShape, flat: inFlat },
      output: { shape: stats.shape, flat: outFlat },
      sources: inputs,
    };
  });
}

export function sameTensor(a: Tensor, b: Tensor): boolean {
  return a.flat === b.flat && sameShape(a.shape, b.shape);
}

/**
 * A squeeze-and-excitation block: a mul of features `x` by a gate computed from `x` alone by the
 * `branch` layers (globalavgpool, squeeze conv, activation, excite conv, gate), which nothing else
 * reads. It is removed as a whole: the mul becomes the identity of `x` and the branch goes.
 */
export interface GateBlock {
  /** The mul's id, which names the block in an action's `remove`. */
  id: string;
  /** The features the gate multiplies. */
  x: string;
  /** The gate's layers, in topological order. */
  branch: string[];
}

/** The squeeze-and-excitation blocks of a teacher: each mul of two inputs, one a gate computed from the other alone. */
export function gateBlocks(layers: LayerTensors[]): GateBlock[] {
  const byId = new Map(layers.map((l) => [l.id, l]));
  const readers = new Map<string, string[]>();
  for (const l of layers) for (const s of l.sources) readers.set(s, [...(readers.get(s) ?? []), l.id]);
  const blocks: GateBlock[] = [];
  for (const mul of layers) {
    if (mul.type !== 'mul' || mul.sources.length !== 2) continue;
    for (const [x, gate] of [mul.sources, [...mul.sources].reverse()]) {
      const branch = gateBranch(byId, readers, mul.id, x, gate);
      if (branch) blocks.push({ id: mul.id, x, branch });
    }
  }
  return blocks;
}

/** The layers computing `gate` from `x` alone and read only by each other and the mul, or undefined. */
function gateBranch(byId: Map<string, LayerTensors>, readers: Map<string, string[]>, mul: string, x: string, gate: string): string[] | undefined {
  const branch = new Set<string>();
  const stack = [gate];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === x || branch.has(id)) continue;
    const layer = byId.get(id);
    if (!layer) return undefined; // the network input: the gate does not come from x alone
    branch.add(id);
    stack.push(...layer.sources);
  }
  if (branch.size === 0) return undefined;
  for (const id of branch) if (readers.get(id)!.some((r) => r !== mul && !branch.has(r))) return undefined;
  return [...branch].sort((a, b) => byId.get(a)!.position - byId.get(b)!.position);
}

// Concat is left out: as an identity it would sum its inputs instead of stacking them. A mul goes
// only as a whole squeeze-and-excitation block, and the layers of a gate only with it.
const NEVER_REMOVED: ReadonlySet<LayerType> = new Set(['identity', 'concat', 'mul']);

/**
 * Layers whose input tensor equals their output tensor, outside gates: replacing them by identity
 * keeps every shape. Then the squeeze-and-excitation blocks, by their mul's id.
 */
export function removableLayers(layers: LayerTensors[], blocks: GateBlock[]): string[] {
  const inGates = new Set(blocks.flatMap((b) => b.branch));
  const single = layers.filter((l) => !NEVER_REMOVED.has(l.type) && !inGates.has(l.id) && sameTensor(l.input, l.output)).map((l) => l.id);
  return [...single, ...blocks.map((b) => b.id)];
}

// A skip into concat would be summed into one of its operands' slots; into identity it would
// turn a removed layer back into a junction. The authors allow neither. A skip into a mul would
// multiply the features by it.
const NO_SKIP_INTO: ReadonlySet<LayerType> = new Set(['identity', 'concat', 'mul']);

/**
 * Pairs [from, to], from before to in topological order, where from's output tensor equals to's
 * input tensor and the edge does not exist yet. `window` caps the topological distance. A gate's
 * layers are at neither end: they go when their block is removed, and skips go around the block.
 */
export function skipPairs(layers: LayerTensors[], blocks: GateBlock[], window = Infinity): [string, string][] {
  const inGates = new Set(blocks.flatMap((b) => b.branch));
  const pairs: [string, string][] = [];
  for (const to of layers) {
    if (NO_SKIP_INTO.has(to.type) || inGates.has(to.id)) continue;
    const existing = new Set(to.sources);
    const first = Math.max(0, to.position - window);
    for (let p = first; p < to.position; p++) {
      const from = layers[p];
      if (!existing.has(from.id) && !inGates.has(from.id) && sameTensor(from.output, to.input)) pairs.push([from.id, to.id]);
    }
  }
  return pairs;
}
