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
    const inFlat = inputs.some((id) => flat.get(id));
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

// Concat is left out: as an identity it would sum its inputs instead of stacking them.
const NEVER_REMOVED: ReadonlySet<LayerType> = new Set(['identity', 'concat']);

/** Layers whose input tensor equals their output tensor: replacing them by identity keeps every shape. */
export function removableLayers(layers: LayerTensors[]): string[] {
  return layers.filter((l) => !NEVER_REMOVED.has(l.type) && sameTensor(l.input, l.output)).map((l) => l.id);
}

// A skip into concat would be summed into one of its operands' slots; into identity it would
// turn a removed layer back into a junction. The authors allow neither.
const NO_SKIP_INTO: ReadonlySet<LayerType> = new Set(['identity', 'concat']);

/**
 * Pairs [from, to], from before to in topological order, where from's output tensor equals to's
 * input tensor and the edge does not exist yet. `window` caps the topological distance.
 */
export function skipPairs(layers: LayerTensors[], window = Infinity): [string, string][] {
  const pairs: [string, string][] = [];
  for (const to of layers) {
    if (NO_SKIP_INTO.has(to.type)) continue;
    const existing = new Set(to.sources);
    const first = Math.max(0, to.position - window);
    for (let p = first; p < to.position; p++) {
      const from = layers[p];
      if (!existing.has(from.id) && sameTensor(from.output, to.input)) pairs.push([from.id, to.id]);
    }
  }
  return pairs;
}
