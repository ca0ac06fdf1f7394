// A spec as the graph the webview draws: one node per layer with its output shape, params, MACs
// and attributes, one edge per input reference with its operand position; and where each layer
// lies in the text, so the editor's cursor and the spec's problems find their nodes. Runs in the
// extension host (where the file is), so only this small model crosses to the webview.
import type { ColourClass, GraphEdge, GraphModel, GraphNode, LayerProblems } from '../../protocol/webview';
import { resolveGraph } from '../../engine/architecture/graph';
import { formatShape, inferShapes } from '../../engine/architecture/shapes';
import type { Position, Problem, Range, SourceDocument } from '../../engine/architecture/source';
import { BN_EPSILON, type ArchitectureSpec, type Layer, type LayerType } from '../../engine/architecture/types';

const COLOURS: Record<LayerType, ColourClass> = {
  conv: 'conv',
  linear: 'linear',
  batchnorm: 'norm',
  relu: 'activation',
  relu6: 'activation',
  sigmoid: 'activation',
  hardsigmoid: 'activation',
  hardswish: 'activation',
  silu: 'activation',
  tanh: 'activation',
  maxpool: 'pool',
  avgpool: 'pool',
  globalavgpool: 'pool',
  flatten: 'reshape',
  shuffle: 'reshape',
  chunk: 'reshape',
  concat: 'merge',
  mul: 'merge',
  identity: 'identity',
  dropout: 'dropout',
};

export function colourOf(type: LayerType): ColourClass {
  return COLOURS[type];
}

/** The graph of a spec that passed the schema and graph checks; shape issues leave shapes '?'. */
export function buildGraphModel(spec: ArchitectureSpec): GraphModel {
  const graph = resolveGraph(spec);
  const shapes = inferShapes(spec, graph);
  const nodes: GraphNode[] = graph.order.map(({ layer }) => {
    const stats = shapes.byId.get(layer.id);
    return {
      id: layer.id,
      type: layer.type,
      colour: colourOf(layer.type),
      detail: layerDetail(layer),
      shape: stats ? formatShape(stats.shape) : '?',
      params: stats?.params ?? 0,
      macs: stats?.macs ?? 0,
      attributes: layerAttributes(layer),
    };
  });
  const edges: GraphEdge[] = graph.order.flatMap(({ layer, inputs }) => inputs.map((from, port) => ({ from, to: layer.id, port })));
  const { channels, height, width } = spec.input;
  return {
    name: spec.name,
    inputShape: formatShape([channels, height, width]),
    nodes,
    edges,
    output: graph.output,
    params: shapes.params,
    macs: shapes.macs,
  };
}

/** The attributes that tell layers of one type apart at a glance; defaults are left out. */
export function layerDetail(layer: Layer): string {
  const window = (kernel: number, stride: number | undefined) => [`${kernel}x${kernel}`, ...(stride !== undefined && stride !== 1 ? [`/${stride}`] : [])];
  switch (layer.type) {
    case 'conv':
      return [...window(layer.kernel, layer.stride), ...(layer.groups !== undefined && layer.groups > 1 ? [`g${layer.groups}`] : [])].join(' ');
    case 'maxpool':
    case 'avgpool':
      return [
        ...window(layer.kernel, layer.stride ?? layer.kernel),
        ...(layer.ceilMode ? ['ceil'] : []),
        ...(layer.countIncludePad === false ? ['excl. pad'] : []),
      ].join(' ');
    case 'batchnorm':
      return layer.eps !== undefined && layer.eps !== BN_EPSILON ? `eps=${layer.eps}` : '';
    case 'shuffle':
      return `g${layer.groups}`;
    case 'chunk':
      return `#${layer.index} of ${layer.chunks}`;
    case 'dropout':
      return `p=${layer.rate}`;
    default:
      return '';
  }
}

/** What the properties panel lists for a layer: every field the spec gives it but id, type and inputs. */
export function layerAttributes(layer: Layer): [string, string][] {
  return Object.entries(layer)
    .filter(([name]) => name !== 'id' && name !== 'type' && name !== 'inputs')
    .map(([name, value]) => [name, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
}

/** Where a layer's mapping lies in the spec text. */
export interface LayerRange {
  id: string;
  range: Range;
}

/** The text range of every layer with an id, from a parsed spec (checked or not). */
export function layerRanges(document: SourceDocument): LayerRange[] {
  const root = document.value as { layers?: unknown } | null;
  const layers = typeof root === 'object' && root !== null && Array.isArray(root.layers) ? (root.layers as unknown[]) : [];
  return layers.flatMap((layer, index) => {
    const id = (layer as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? [{ id, range: document.locate(['layers', index]) }] : [];
  });
}

/** The layer whose mapping holds the position (0-based line and column), if any. */
export function layerAt(ranges: LayerRange[], at: Position): string | undefined {
  return ranges.find(({ range }) => !before(at, range.start) && !before(range.end, at))?.id;
}

/**
 * A panel following an editor's cursor through its spec files (the graph's one, the diff's
 * teacher and student, whose layers are all nodes of the diff): the layer to select as the cursor
 * moves, once per layer entered, in whichever file.
 */
export class CursorFollower {
  private current: string | undefined;

  /** The layer to select for the cursor at `at` in a text whose layers lie at `ranges`; undefined when the selection stays. */
  moved(ranges: LayerRange[], at: Position): string | undefined {
    const id = layerAt(ranges, at);
    if (id === undefined || id === this.current) return undefined;
    this.current = id;
    return id;
  }
}

/** The problems that lie inside a layer, by its id; problems outside every layer are left out (the banner lists all). */
export function problemsByLayer(ranges: LayerRange[], problems: Problem[]): LayerProblems {
  const marks: LayerProblems = {};
  for (const problem of problems) {
    const id = layerAt(ranges, problem.range.start);
    if (id !== undefined) (marks[id] ??= []).push(problem.message);
  }
  return marks;
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}
