// A spec and its weights as an ONNX graph (opset 13) that computes what Network.forward computes
// in inference mode: tensors are named after the layer ids, weights `<id>.<kind>` in PyTorch's
// layout, the batch axis is symbolic.
import { resolveGraph } from '../architecture/graph';
import { inferShapes, windowPadding } from '../architecture/shapes';
import { ArchitectureSpec, BN_EPSILON, INPUT_ID, Layer, PoolLayer } from '../architecture/types';
import { BN_MOMENTUM } from '../model/network';
import type { Normalisation } from '../../protocol';
import { WeightMap } from '../model/weights';
import { inputSentence } from './pytorch-export';
import { flatValues, readsFlat } from './flat-values';
import { torchTensors } from './layout';
import { ONNX_FLOAT, ONNX_INT64, OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor } from './onnx-model';

export const EXPORT_OPSET = 13;
/** The IR version that goes with opset 13. */
const IR_VERSION = 7;

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];

  node(opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttribute> = {}): string {
    this.nodes.push({ name: output, opType, domain: '', inputs, outputs: [output], attributes });
    return output;
  }

  ints(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_INT64, values });
    return name;
  }

  floats(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, values });
    return name;
  }
}

export function exportOnnx(spec: ArchitectureSpec, weights: WeightMap, producerVersion = '', normalisation?: Normalisation): OnnxModel {
  const graph = resolveGraph(spec);
  const shapes = inferShapes(spec, graph);
  const flat = flatValues(graph);
  const g = new GraphBuilder();
  for (const t of torchTensors(spec, weights)) g.floats(`${t.layer}.${t.kind}`, t.shape, t.data);
  for (const { layer, inputs } of graph.order) {
    const wantsFlat = readsFlat(layer, flat, inputs);
    const operands = inputs.map((id, k) => converted(g, id, flat.get(id)!, wantsFlat, `${layer.id}/input${k}`));
    const [c, h, w] = shapes.byId.get(layer.id)!.inShape;
    if (layer.type === 'concat') {
      g.node('Concat', operands, layer.id, { axis: 1 });
      continue;
    }
    if (layer.type === 'mul') {
      operands.slice(1).reduce((a, b, k) => g.node('Mul', [a, b], k === operands.length - 2 ? layer.id : `${layer.id}/product${k}`), operands[0]);
      continue;
    }
    const x = operands.length === 1 ? operands[0] : g.node('Sum', operands, layer.type === 'identity' ? layer.id : `${layer.id}/sum`);
    layerNodes(g, layer, x, [c, h, w]);
  }
  const logits = flat.get(graph.output) ? graph.output : g.node('Flatten', [graph.output], `${graph.output}/flat`, { axis: 1 });
  const { channels, height, width } = spec.input;
  return {
    irVersion: IR_VERSION,
    opsetVersion: EXPORT_OPSET,
    producerName: `esnac${producerVersion ? ` ${producerVersion}` : ''}`,
    ...(normalisation ? { metadata: normalisationMetadata(normalisation) } : {}),
    graph: {
      name: spec.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: INPUT_ID, elemType: ONNX_FLOAT, dims: ['batch', channels, height, width] }],
      outputs: [{ name: logits, elemType: ONNX_FLOAT, dims: ['batch', spec.classes] }],
    },
  };
}

/** The model's metadata_props saying what input the weights expect: one sentence, and the numbers as JSON. */
export function normalisationMetadata(n: Normalisation): Record<string, string> {
  return { 'esnac.input': inputSentence(n), 'esnac.normalisation': JSON.stringify(n) };
}

/** The value `id` in the rank the reading layer needs. */
function converted(g: GraphBuilder, id: string, isFlat: boolean, wantFlat: boolean, name: string): string {
  if (isFlat === wantFlat) return id;
  if (wantFlat) return g.node('Flatten', [id], name, { axis: 1 });
  return g.node('Reshape', [id, g.ints(`${name}.shape`, [0, -1, 1, 1])], name);
}

function layerNodes(g: GraphBuilder, layer: Layer, x: string, [c, h, w]: number[]): void {
  const id = layer.id;
  switch (layer.type) {
    case 'conv': {
      const { kernel } = layer;
      const stride = layer.stride ?? 1;
      const p = layer.padding ?? 0;
      const inputs = [x, `${id}.weight`, ...(layer.bias === false ? [] : [`${id}.bias`])];
      g.node('Conv', inputs, id, { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [p, p, p, p], dilations: [1, 1], group: layer.groups ?? 1 });
      return;
    }
    case 'linear':
      g.node('Gemm', [x, `${id}.weight`, ...(layer.bias === false ? [] : [`${id}.bias`])], id, { transB: 1 });
      return;
    case 'batchnorm':
      // ONNX's momentum weighs the old running value: PyTorch's 1 - momentum.
      g.node('BatchNormalization', [x, `${id}.weight`, `${id}.bias`, `${id}.running_mean`, `${id}.running_var`], id, { epsilon: layer.eps ?? BN_EPSILON, momentum: 1 - BN_MOMENTUM });
      return;
    case 'maxpool':
    case 'avgpool':
      poolNodes(g, layer, x, h, w);
      return;
    case 'shuffle': {
      const grouped = g.node('Reshape', [x, g.ints(`${id}.grouped_shape`, [0, layer.groups, c / layer.groups, h, w])], `${id}/grouped`);
      const swapped = g.node('Transpose', [grouped], `${id}/transposed`, { perm: [0, 2, 1, 3, 4] });
      g.node('Reshape', [swapped, g.ints(`${id}.shape`, [0, c, h, w])], id);
      return;
    }
    case 'chunk': {
      const size = c / layer.chunks;
      const starts = g.ints(`${id}.starts`, [layer.index * size]);
      const ends = g.ints(`${id}.ends`, [(layer.index + 1) * size]);
      g.node('Slice', [x, starts, ends, g.ints(`${id}.axes`, [1])], id);
      return;
    }
    case 'dropout':
      g.node('Dropout', [x, g.floats(`${id}.ratio`, [], Float32Array.of(layer.rate))], id);
      return;
    case 'flatten':
      g.node('Flatten', [x], id, { axis: 1 });
      return;
    case 'relu':
      g.node('Relu', [x], id);
      return;
    case 'relu6':
      // Opset 11 on, Clip takes its bounds as inputs.
      g.node('Clip', [x, g.floats(`${id}.min`, [], Float32Array.of(0)), g.floats(`${id}.max`, [], Float32Array.of(6))], id);
      return;
    case 'sigmoid':
      g.node('Sigmoid', [x], id);
      return;
    case 'tanh':
      g.node('Tanh', [x], id);
      return;
    case 'hardsigmoid':
      g.node('HardSigmoid', [x], id, HARDSIGMOID);
      return;
    // HardSwish is opset 14: at 13 both are x times their gate.
    case 'hardswish':
      g.node('Mul', [x, g.node('HardSigmoid', [x], `${id}/gate`, HARDSIGMOID)], id);
      return;
    case 'silu':
      g.node('Mul', [x, g.node('Sigmoid', [x], `${id}/gate`)], id);
      return;
    case 'globalavgpool':
      g.node('GlobalAveragePool', [x], id);
      return;
    case 'identity':
      if (x !== id) g.node('Identity', [x], id);
      return;
    case 'concat':
    case 'mul':
      throw new Error(`${layer.type} is exported by the caller`);
  }
}

/** PyTorch's hardsigmoid, relu6(x + 3) / 6, as ONNX's clip(alpha * x + beta, 0, 1). */
const HARDSIGMOID = { alpha: 1 / 6, beta: 0.5 };

/**
 * A pooling with PyTorch's windows written out: ONNX's ceil_mode lacks PyTorch's rule that a last
 * window must start inside the input, so a ceil-mode pool is exported as the floor-mode pool of
 * its input padded further on the right (pads end). An average that counts the padding divides by
 * the window clipped to the padded input: the padding becomes a Pad node, and the extra right
 * padding, which PyTorch does not count, is left out of the count (count_include_pad 0).
 */
function poolNodes(g: GraphBuilder, layer: PoolLayer, x: string, h: number, w: number): void {
  const { kernel } = layer;
  const stride = layer.stride ?? kernel;
  const p = layer.padding ?? 0;
  const [, bottom] = windowPadding(h, kernel, stride, p, layer.ceilMode);
  const [, right] = windowPadding(w, kernel, stride, p, layer.ceilMode);
  const window = { kernel_shape: [kernel, kernel], strides: [stride, stride] };
  if (layer.type === 'maxpool') {
    g.node('MaxPool', [x], layer.id, { ...window, pads: [p, p, bottom, right] });
    return;
  }
  const includePad = layer.countIncludePad ?? true;
  if (!includePad || (bottom === p && right === p)) {
    g.node('AveragePool', [x], layer.id, { ...window, pads: [p, p, bottom, right], count_include_pad: includePad ? 1 : 0 });
    return;
  }
  const padded = p > 0 ? g.node('Pad', [x, g.ints(`${layer.id}.pads`, [0, 0, p, p, 0, 0, p, p])], `${layer.id}/padded`) : x;
  g.node('AveragePool', [padded], layer.id, { ...window, pads: [0, 0, bottom - p, right - p], count_include_pad: 0 });
}
