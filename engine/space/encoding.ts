// The layer-sequence encoding the kernel's Bi-LSTM reads (paper appendix 6.2): one row per layer,
// in topological order, of m + 6 + 2n numbers:
//   [0, 10)         one-hot type, in the authors' order (ENCODING_TYPES);
//   [10, 16)        kernel, stride, padding, groups, in, out: raw integers, 0 where a layer has
//                   none; channels only for conv and linear;
//   [16, 16 + n)    incoming edges: for an edge i -> j, element j - i - 1 of j's block is 1;
//   [16 + n, 16+2n) outgoing edges: element j - i - 1 of i's block is 1.
// The paper's "(j - i)th element" counts from 1, hence the - 1: offsets 1..n all fit. Edges
// longer than n are dropped (the notes' n = 128 is a maximum offset, not a maximum layer count),
// and edges from the network input have no row to start from, so they are not encoded.
//
// Our types beyond the authors' ten: globalavgpool is encoded as the avgpool it is (kernel and
// stride = the input's height, padding 0), dropout as identity (it is one at inference and has
// no parameters), relu6 as relu (the same unit up to its cap), and chunk as shuffle with its k in
// the groups slot: both are parameter-free regroupings of the channels into k groups, and
// ShuffleNetV2's channel split sits beside its channel shuffle. A chunk's index is not encoded:
// its edges tell the parts of one split apart. Every element-wise activation (relu6, sigmoid,
// hardsigmoid, hardswish, silu, tanh) is encoded as relu, the authors' one activation: the
// one-hot says where a nonlinearity is, not which. A mul (squeeze-and-excitation's product) is
// encoded as identity, which is how a layer reading several inputs, a residual sum, is encoded:
// a parameter-free element-wise merge that keeps the channels; its edges (one from the gate,
// one from the features) tell it from a sum. Pooling's ceil mode and count_include_pad are not
// encoded: they move an output size by one at most, or change what a border average divides by.
import { resolveGraph } from '../architecture/graph';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec, INPUT_ID, Layer } from '../architecture/types';

export const ENCODING_TYPES = ['identity', 'flatten', 'concat', 'shuffle', 'conv', 'maxpool', 'avgpool', 'relu', 'batchnorm', 'linear'] as const;
export type EncodingType = (typeof ENCODING_TYPES)[number];
export const ENCODING_ATTRIBUTES = ['kernel', 'stride', 'padding', 'groups', 'in', 'out'] as const;
export const DEFAULT_EDGE_WINDOW = 128;

const TYPE_DIMS = ENCODING_TYPES.length;
const EDGE_START = TYPE_DIMS + ENCODING_ATTRIBUTES.length;

/** Row-major rows x width matrix. */
export interface EncodedArchitecture {
  rows: number;
  width: number;
  data: Float32Array;
}

export interface EncodingOptions {
  /** n: the largest edge offset encoded (default 128). */
  edgeWindow?: number;
}

export function encodingWidth(edgeWindow = DEFAULT_EDGE_WINDOW): number {
  return EDGE_START + 2 * edgeWindow;
}

interface LayerCode {
  type: EncodingType;
  attributes: [number, number, number, number, number, number];
}

function layerCode(layer: Layer, inChannels: number, inHeight: number): LayerCode {
  switch (layer.type) {
    case 'conv':
      return { type: 'conv', attributes: [layer.kernel, layer.stride ?? 1, layer.padding ?? 0, layer.groups ?? 1, inChannels, layer.out] };
    case 'linear':
      return { type: 'linear', attributes: [0, 0, 0, 0, inChannels, layer.out] };
    case 'maxpool':
    case 'avgpool':
      return { type: layer.type, attributes: [layer.kernel, layer.stride ?? layer.kernel, layer.padding ?? 0, 0, 0, 0] };
    case 'globalavgpool':
      return { type: 'avgpool', attributes: [inHeight, inHeight, 0, 0, 0, 0] };
    case 'shuffle':
      return { type: 'shuffle', attributes: [0, 0, 0, layer.groups, 0, 0] };
    case 'chunk':
      return { type: 'shuffle', attributes: [0, 0, 0, layer.chunks, 0, 0] };
    case 'relu6':
    case 'sigmoid':
    case 'hardsigmoid':
    case 'hardswish':
    case 'silu':
    case 'tanh':
      return { type: 'relu', attributes: [0, 0, 0, 0, 0, 0] };
    case 'mul':
    case 'dropout':
      return { type: 'identity', attributes: [0, 0, 0, 0, 0, 0] };
    default:
      return { type: layer.type, attributes: [0, 0, 0, 0, 0, 0] };
  }
}

/** Encodes a valid spec (no shape issues). */
export function encodeArchitecture(spec: ArchitectureSpec, options: EncodingOptions = {}): EncodedArchitecture {
  const n = options.edgeWindow ?? DEFAULT_EDGE_WINDOW;
  const graph = resolveGraph(spec);
  const report = inferShapes(spec, graph);
  if (report.issues.length > 0) throw new Error(`cannot encode '${spec.name}': ${report.issues[0].message}`);
  const width = encodingWidth(n);
  const rows = graph.order.length;
  const data = new Float32Array(rows * width);
  const position = new Map(graph.order.map((e, p) => [e.layer.id, p]));
  graph.order.forEach(({ layer, inputs }, j) => {
    const [channels, height] = report.byId.get(layer.id)!.inShape;
    const code = layerCode(layer, channels, height);
    const row = j * width;
    data[row + ENCODING_TYPES.indexOf(code.type)] = 1;
    data.set(code.attributes, row + TYPE_DIMS);
    for (const source of inputs) {
      if (source === INPUT_ID) continue;
      const i = position.get(source)!;
      const offset = j - i;
      if (offset > n) continue;
      data[row + EDGE_START + offset - 1] = 1;
      data[i * width + EDGE_START + n + offset - 1] = 1;
    }
  });
  return { rows, width, data };
}

export interface DecodedRow {
  type: EncodingType;
  attributes: number[];
  /** Offsets j - i of the edges coming in and going out. */
  incoming: number[];
  outgoing: number[];
}

/** Reads one row back (for display and checks). */
export function decodeRow(encoded: EncodedArchitecture, row: number): DecodedRow {
  const n = (encoded.width - EDGE_START) / 2;
  const values = encoded.data.subarray(row * encoded.width, (row + 1) * encoded.width);
  const offsets = (start: number) => {
    const found: number[] = [];
    for (let k = 0; k < n; k++) if (values[start + k] === 1) found.push(k + 1);
    return found;
  };
  return {
    type: ENCODING_TYPES[values.subarray(0, TYPE_DIMS).indexOf(1)],
    attributes: Array.from(values.subarray(TYPE_DIMS, EDGE_START)),
    incoming: offsets(EDGE_START),
    outgoing: offsets(EDGE_START + n),
  };
}
