// Shape inference, parameter and MAC counts, following PyTorch's conventions: conv and linear
// count weights (+ bias when present), batchnorm 2 per channel (running statistics are buffers,
// not parameters). MACs count conv and linear multiply-accumulates only.
import { resolveGraph, ResolvedGraph } from './graph';
import { ArchitectureSpec, INPUT_ID, Layer, Shape, SpecIssue } from './types';

export interface LayerStats {
  id: string;
  type: Layer['type'];
  /** Index in spec.layers. */
  index: number;
  /** Channels this layer reads (after summing or concatenating its inputs). */
  inShape: Shape;
  shape: Shape;
  params: number;
  macs: number;
}

export interface ShapeReport {
  /** In topological order; layers whose shape cannot be known (an issue upstream) are absent. */
  layers: LayerStats[];
  byId: Map<string, LayerStats>;
  params: number;
  macs: number;
  issues: SpecIssue[];
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

export function formatShape(s: Shape): string {
  return `${s[0]}x${s[1]}x${s[2]}`;
}

/**
 * Spatial output size of a window op as PyTorch computes it: floor mode, or ceil mode (pooling's
 * ceil_mode), where a last window that would start in the right padding or past it is dropped.
 */
export function windowOutput(size: number, kernel: number, stride: number, padding: number, ceilMode = false): number {
  const span = size + 2 * padding - kernel;
  if (!ceilMode) return Math.floor(span / stride) + 1;
  const out = Math.ceil(span / stride) + 1;
  return (out - 1) * stride >= size + padding ? out - 1 : out;
}

/**
 * The padding before and after an axis that makes every window of a pooling a whole one: the
 * layer's padding, and after it what a ceil-mode last window reaches past it.
 */
export function windowPadding(size: number, kernel: number, stride: number, padding: number, ceilMode = false): [before: number, after: number] {
  const reach = (windowOutput(size, kernel, stride, padding, ceilMode) - 1) * stride + kernel;
  return [padding, padding + Math.max(0, reach - (size + 2 * padding))];
}

/**
 * What esnac can train: the values of one example at one layer (an activation, batch of one) and
 * the weights of one layer. Beyond them typed arrays and the wasm heap (4 GiB) overflow at the
 * first batch, so specs past them are refused at validation, where the message can say why.
 */
export const MAX_VALUES_PER_EXAMPLE = 2 ** 24;
export const MAX_LAYER_PARAMS = 2 ** 28;

/**
 * Infers every layer's shape, in `graph.order`; the output is checked against the classes unless
 * `graph.output` is undefined (validation's partial graphs, when the output itself is broken).
 */
export function inferShapes(spec: ArchitectureSpec, graph: Pick<ResolvedGraph, 'order'> & { output: string | undefined } = resolveGraph(spec)): ShapeReport {
  const issues: SpecIssue[] = [];
  const inputValues = spec.input.channels * spec.input.height * spec.input.width;
  if (inputValues > MAX_VALUES_PER_EXAMPLE) {
    issues.push({ path: ['input'], message: `the input is ${spec.input.channels}x${spec.input.height}x${spec.input.width} = ${inputValues.toLocaleString('en-US')} values per example; esnac trains at most ${MAX_VALUES_PER_EXAMPLE.toLocaleString('en-US')}` });
    return { layers: [], byId: new Map(), params: 0, macs: 0, issues };
  }
  const byId = new Map<string, LayerStats>();
  const layers: LayerStats[] = [];
  const known = new Map<string, Shape>([[INPUT_ID, [spec.input.channels, spec.input.height, spec.input.width]]]);

  for (const { index, layer, inputs } of graph.order) {
    const at = (...rest: (string | number)[]) => ['layers', index, ...rest];
    const sources = inputs.map((id) => known.get(id));
    if (sources.some((s) => s === undefined)) continue; // an upstream layer already has an issue
    const inShape = combineInputs(layer, inputs, sources as Shape[], at, issues);
    if (!inShape) continue;
    const result = layerOutput(layer, inShape, at, issues);
    if (!result || tooLarge(layer.id, result.shape, result.params, at, issues)) continue;
    const stats: LayerStats = { id: layer.id, type: layer.type, index, inShape, ...result };
    known.set(layer.id, stats.shape);
    byId.set(layer.id, stats);
    layers.push(stats);
  }

  const out = graph.output === undefined ? undefined : byId.get(graph.output);
  if (out && !sameShape(out.shape, [spec.classes, 1, 1])) {
    const where = spec.output !== undefined ? ['output'] : ['layers', out.index];
    issues.push({
      path: where,
      message: `the output layer '${out.id}' gives ${formatShape(out.shape)} but the network has ${spec.classes} classes (expected ${spec.classes}x1x1)`,
    });
  }

  const params = layers.reduce((s, l) => s + l.params, 0);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  return { layers, byId, params, macs, issues };
}

/** Pushes an issue and answers true when a layer is past what esnac can train. */
function tooLarge(id: string, shape: Shape, params: number, at: (...rest: (string | number)[]) => (string | number)[], issues: SpecIssue[]): boolean {
  const values = shape[0] * shape[1] * shape[2];
  if (values > MAX_VALUES_PER_EXAMPLE) {
    issues.push({ path: at(), message: `layer '${id}' gives ${formatShape(shape)} = ${values.toLocaleString('en-US')} values per example; esnac trains at most ${MAX_VALUES_PER_EXAMPLE.toLocaleString('en-US')} (fewer channels or a smaller input)` });
    return true;
  }
  if (params > MAX_LAYER_PARAMS) {
    issues.push({ path: at(), message: `layer '${id}' has ${params.toLocaleString('en-US')} weights; esnac trains at most ${MAX_LAYER_PARAMS.toLocaleString('en-US')} per layer (fewer channels)` });
    return true;
  }
  return false;
}

function combineInputs(
  layer: Layer,
  ids: string[],
  shapes: Shape[],
  at: (...rest: (string | number)[]) => (string | number)[],
  issues: SpecIssue[],
): Shape | undefined {
  if (layer.type === 'concat') {
    const [, h, w] = shapes[0];
    for (let i = 1; i < shapes.length; i++) {
      if (shapes[i][1] !== h || shapes[i][2] !== w) {
        issues.push({
          path: at('inputs', i),
          message: `concat inputs must have the same spatial size: '${ids[0]}' is ${h}x${w}, '${ids[i]}' is ${shapes[i][1]}x${shapes[i][2]}`,
        });
        return undefined;
      }
    }
    return [shapes.reduce((c, s) => c + s[0], 0), h, w];
  }
  if (layer.type === 'mul') return productShape(ids, shapes, at, issues);
  for (let i = 1; i < shapes.length; i++) {
    if (!sameShape(shapes[i], shapes[0])) {
      issues.push({
        path: at('inputs', i),
        message: `summed inputs must have equal shapes: '${ids[0]}' is ${formatShape(shapes[0])}, '${ids[i]}' is ${formatShape(shapes[i])}`,
      });
      return undefined;
    }
  }
  return shapes[0];
}

/** The shape of a product: every input is the same CxHxW or a Cx1x1 that broadcasts over H and W. */
function productShape(
  ids: string[],
  shapes: Shape[],
  at: (...rest: (string | number)[]) => (string | number)[],
  issues: SpecIssue[],
): Shape | undefined {
  const full = shapes.reduce((a, s) => (s[1] * s[2] > a[1] * a[2] ? s : a));
  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i];
    if (s[0] === full[0] && ((s[1] === 1 && s[2] === 1) || sameShape(s, full))) continue;
    const largest = ids[shapes.indexOf(full)];
    issues.push({
      path: at('inputs', i),
      message: `multiplied inputs must have equal shapes or be ${full[0]}x1x1 (a per-channel gate): '${largest}' is ${formatShape(full)}, '${ids[i]}' is ${formatShape(s)}`,
    });
    return undefined;
  }
  return full;
}

function layerOutput(
  layer: Layer,
  [c, h, w]: Shape,
  at: (...rest: (string | number)[]) => (string | number)[],
  issues: SpecIssue[],
): { shape: Shape; params: number; macs: number } | undefined {
  const fail = (message: string, ...path: (string | number)[]) => {
    issues.push({ path: at(...path), message });
    return undefined;
  };
  const declaredIn = (declared: number, unit: string) => {
    issues.push({ path: at('in'), message: `${layer.type} '${layer.id}' declares in: ${declared} but receives ${c} ${unit}`, fix: { kind: 'declaredIn', actual: c } });
    return undefined;
  };
  switch (layer.type) {
    case 'conv': {
      const { out, kernel } = layer;
      const stride = layer.stride ?? 1;
      const padding = layer.padding ?? 0;
      const groups = layer.groups ?? 1;
      if (layer.in !== undefined && layer.in !== c) return declaredIn(layer.in, 'channels');
      if (c % groups !== 0) return fail(`groups (${groups}) must divide the input channels (${c})`, 'groups');
      if (out % groups !== 0) return fail(`groups (${groups}) must divide the output channels (${out})`, 'groups');
      const oh = windowOutput(h, kernel, stride, padding);
      const ow = windowOutput(w, kernel, stride, padding);
      if (oh < 1 || ow < 1) return fail(`kernel ${kernel} with padding ${padding} does not fit the ${h}x${w} input (output would be ${oh}x${ow})`, 'kernel');
      const perOutput = (c / groups) * kernel * kernel;
      return { shape: [out, oh, ow], params: out * perOutput + (layer.bias === false ? 0 : out), macs: out * oh * ow * perOutput };
    }
    case 'linear': {
      if (h !== 1 || w !== 1) return fail(`linear '${layer.id}' needs flat features but receives ${formatShape([c, h, w])}: add a flatten or globalavgpool layer before it`, 'inputs');
      if (layer.in !== undefined && layer.in !== c) return declaredIn(layer.in, 'features');
      return { shape: [layer.out, 1, 1], params: layer.out * c + (layer.bias === false ? 0 : layer.out), macs: layer.out * c };
    }
    case 'batchnorm':
      if (layer.in !== undefined && layer.in !== c) return declaredIn(layer.in, 'channels');
      return { shape: [c, h, w], params: 2 * c, macs: 0 };
    case 'maxpool':
    case 'avgpool': {
      const stride = layer.stride ?? layer.kernel;
      const padding = layer.padding ?? 0;
      if (2 * padding > layer.kernel) return fail(`padding (${padding}) must be at most half the kernel (${layer.kernel})`, 'padding');
      const oh = windowOutput(h, layer.kernel, stride, padding, layer.ceilMode);
      const ow = windowOutput(w, layer.kernel, stride, padding, layer.ceilMode);
      if (oh < 1 || ow < 1) return fail(`${layer.type} kernel ${layer.kernel} does not fit the ${h}x${w} input (output would be ${oh}x${ow})`, 'kernel');
      return { shape: [c, oh, ow], params: 0, macs: 0 };
    }
    case 'globalavgpool':
      return { shape: [c, 1, 1], params: 0, macs: 0 };
    case 'flatten':
      return { shape: [c * h * w, 1, 1], params: 0, macs: 0 };
    case 'shuffle':
      if (c % layer.groups !== 0) return fail(`shuffle groups (${layer.groups}) must divide the channels (${c})`, 'groups');
      return { shape: [c, h, w], params: 0, macs: 0 };
    case 'chunk':
      if (layer.index >= layer.chunks) return fail(`chunk index ${layer.index} is out of range: there are ${layer.chunks} chunks (0 to ${layer.chunks - 1})`, 'index');
      if (c % layer.chunks !== 0) return fail(`chunks (${layer.chunks}) must divide the channels (${c})`, 'chunks');
      return { shape: [c / layer.chunks, h, w], params: 0, macs: 0 };
    case 'relu':
    case 'relu6':
    case 'sigmoid':
    case 'hardsigmoid':
    case 'hardswish':
    case 'silu':
    case 'tanh':
    case 'identity':
    case 'dropout':
    case 'concat':
    case 'mul':
      return { shape: [c, h, w], params: 0, macs: 0 };
  }
}
