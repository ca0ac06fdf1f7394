// An ONNX graph of the operators the spec format can express, as an esnac spec and its weights.
// Nodes are taken in the graph's (topological) order; each value is either a tensor that a spec
// layer (or the input) produces, a constant (initializers, Constant nodes and the shape arithmetic
// of a traced `x.view(x.size(0), -1)`, folded here), that shape arithmetic holding the input's
// symbolic batch size N (where the model was exported with a symbolic batch axis), or the middle
// of a channel shuffle (Reshape to [N, g, C/g, H, W] - Transpose [0, 2, 1, 3, 4] - Reshape back).
// ReLU6 is Clip(0, 6), and a channel split (torch.chunk: a Slice per part, or one Split) gives a
// chunk layer per part. What torch.onnx makes of PyTorch's modules is read back: x * Sigmoid(x)
// is silu, x * HardSigmoid(x) hardswish (opset 13 has no HardSwish), another product of two
// tensors a mul (squeeze-and-excitation's gate); a zero Pad before an average pooling or a conv
// (how every nn.AvgPool2d exports) is that layer's padding; a final Softmax or LogSoftmax is
// dropped with a note, as esnac works on logits.
// Anything else is refused: every node the spec cannot express is named in one UserError (the
// nodes that read what a refused node computes are checked for their operator only).
import * as tf from '@tensorflow/tfjs-core';
import { checkSpec } from '../architecture/validate';
import { formatShape, windowOutput, windowPadding } from '../architecture/shapes';
import { ArchitectureSpec, ARCH_FORMAT, BN_EPSILON, ChunkLayer, INPUT_ID, Layer, PlainLayer, Shape } from '../architecture/types';
import { disposeWeights, weightName, WeightKind, WeightMap } from '../model/weights';
import { UserError } from '../util/errors';
import { fromTorchLayout } from './layout';
import { ONNX_FLOAT, OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, tensorSize } from './onnx-model';
import { dataTypeName } from './onnx-codec';

export interface ImportedModel {
  spec: ArchitectureSpec;
  /** In the esnac layouts; the caller disposes them. */
  weights: WeightMap;
  /** What the import changed or noticed, for the user to read (a dropped final softmax, batchnorm folded into convs). */
  notes: string[];
}

/** A tensor a layer computes: shape [C, H, W]; `flat` when ONNX holds it as [N, C] (after Flatten or Gemm). */
interface TensorValue {
  kind: 'tensor';
  id: string;
  shape: Shape;
  flat: boolean;
}

interface ConstValue {
  kind: 'const';
  dims: number[];
  values: Float32Array | number[];
}

/** A constant of a data type esnac does not compute with (bool, float64...). */
interface UnreadValue {
  kind: 'unread';
  dataType: number;
}

/** An int64 constant with a value beyond 2^53, exact: it can only stand for "to the end" or similar, never a size. */
interface WideValue {
  kind: 'wide';
  dims: number[];
  values: bigint[];
}

/** The input's batch size where the graph leaves it symbolic. */
const SYMBOLIC_BATCH = 'N';
type Dim = number | typeof SYMBOLIC_BATCH;

/**
 * Shape arithmetic that holds the symbolic batch size, e.g. Shape(x) = [N, 48, 8, 8] or the
 * target [N, 2, 24, 8, 8] of a channel shuffle built from it. Only gathering, unsqueezing,
 * casting and concatenating keep it; a Reshape takes it as its target when N stays the batch axis.
 */
interface SymbolicShapeValue {
  kind: 'symbolic';
  dims: number[];
  values: Dim[];
}

/** [N, C, H, W] reshaped to [N, groups, C / groups, H, W], transposed or not yet. */
interface GroupedValue {
  kind: 'grouped';
  source: TensorValue;
  groups: number;
  transposed: boolean;
}

/** A tensor zero-padded on every side of H and W by `padding`: the padding of the conv or average pooling that reads it. */
interface PaddedValue {
  kind: 'padded';
  source: TensorValue;
  padding: number;
}

/** What a refused node (or one reading it) would have computed. */
interface RefusedValue {
  kind: 'refused';
}

type Value = TensorValue | ConstValue | WideValue | UnreadValue | SymbolicShapeValue | GroupedValue | PaddedValue | RefusedValue;

/** A layer before it gets its id and inputs. */
type LayerBody<L = Layer> = L extends Layer ? Omit<L, 'id' | 'inputs'> : never;

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Operators that are a layer of their own: the module's name is the layer's id. */
const LAYER_OPS = new Set([
  'Conv',
  'Gemm',
  'MatMul',
  'BatchNormalization',
  'Relu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Dropout',
]);

/** A node refused: where it is and why, collected so that every refused node is reported at once. */
class Refusal extends Error {
  constructor(
    readonly line: string,
    readonly hint?: string,
  ) {
    super(line);
  }
}

const PRESERVE_HINT =
  'its convs carry batchnorm folded into them (torch.onnx.export\'s default, training=EVAL): export with training=torch.onnx.TrainingMode.PRESERVE to keep batchnorm layers';

class Importer {
  private readonly values = new Map<string, Value>();
  private readonly layers: Layer[] = [];
  private readonly weights: WeightMap = new Map();
  private readonly ids = new Set<string>([INPUT_ID]);
  /** Layers whose output feeds more than the node that made them (a bias is folded only into a private linear). */
  private readonly uses = new Map<string, number>();
  /** The input's batch size; a 0 or negative one counts as symbolic, so that it never reads as a Reshape's 0 or -1. */
  batch: Dim = 1;
  readonly notes: string[] = [];
  private readonly refusals: Refusal[] = [];
  /** Nodes not checked beyond their operator because they read what a refused node computes. */
  private unchecked = 0;

  constructor(
    private readonly model: OnnxModel,
    private readonly source: string,
  ) {}

  run(name: string): ImportedModel {
    try {
      const input = this.readInput();
      for (const n of this.model.graph.nodes) for (const i of n.inputs) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
      this.model.graph.nodes.forEach((node, index) => this.node(node, index));
      if (this.foldedBatchnorm()) this.notes.push(`${this.source}: ${PRESERVE_HINT}`);
      if (this.refusals.length > 0) throw new UserError(this.refusalMessage());
      return { spec: this.spec(name, input), weights: this.weights, notes: this.notes };
    } catch (err) {
      disposeWeights(this.weights);
      throw err;
    }
  }

  private readInput(): Shape {
    const { graph } = this.model;
    for (const t of graph.initializers) this.values.set(t.name, constant(t));
    const inputs = graph.inputs.filter((i) => !this.values.has(i.name));
    if (inputs.length !== 1) {
      throw new UserError(`${this.source}: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); esnac imports networks with one image input`);
    }
    const [input] = inputs;
    const [n, ...chw] = input.dims;
    if (input.dims.length !== 4 || chw.some((d) => typeof d !== 'number' || d < 1)) {
      throw new UserError(`${this.source}: input '${input.name}' has shape [${input.dims.join(', ')}]; esnac needs images [N, C, H, W] with fixed C, H and W (export with a fixed input size)`);
    }
    if (input.elemType !== ONNX_FLOAT) throw new UserError(`${this.source}: input '${input.name}' is not float32`);
    this.batch = typeof n === 'number' && n > 0 ? n : SYMBOLIC_BATCH;
    const shape = chw as Shape;
    this.values.set(input.name, { kind: 'tensor', id: INPUT_ID, shape, flat: false });
    return shape;
  }

  private spec(name: string, input: Shape): ArchitectureSpec {
    const { outputs } = this.model.graph;
    if (outputs.length !== 1) throw new UserError(`${this.source}: the graph has ${outputs.length} outputs; esnac imports networks with one output (the logits)`);
    const out = this.values.get(outputs[0].name);
    if (out?.kind !== 'tensor' || out.id === INPUT_ID || out.shape[1] !== 1 || out.shape[2] !== 1) {
      throw new UserError(`${this.source}: the graph output '${outputs[0].name}' is not a vector of class scores`);
    }
    const layers = withDefaultInputs(this.layers);
    const last = layers[layers.length - 1].id;
    const spec: ArchitectureSpec = {
      format: ARCH_FORMAT,
      name,
      description: `imported from ${this.source}`,
      input: { channels: input[0], height: input[1], width: input[2] },
      classes: out.shape[0],
      layers,
      ...(out.id !== last ? { output: out.id } : {}),
    };
    const issues = checkSpec(spec);
    if (issues.length > 0) {
      throw new UserError(`${this.source}: the imported architecture is not valid:\n${issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    }
    return spec;
  }

  private node(node: OnnxNode, index: number): void {
    const at = new NodeContext(this.source, node, index);
    try {
      if (node.domain !== '' && node.domain !== 'ai.onnx') at.refuse(`operators of domain '${node.domain}' are not supported`);
      const handler = HANDLERS[node.opType];
      if (!handler) at.refuse(UNSUPPORTED[node.opType] ?? 'the spec format has no layer for this operator', HINTS[node.opType]);
      if (node.inputs.some((name) => this.values.get(name)?.kind === 'refused')) {
        this.unchecked++;
        this.refuseOutputs(node);
        return;
      }
      handler(this, at);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.refusals.push(err);
      this.refuseOutputs(node);
    }
  }

  private refuseOutputs(node: OnnxNode): void {
    for (const output of node.outputs) this.values.set(output, { kind: 'refused' });
  }

  /** One line per refused node, then the hints, once each. */
  private refusalMessage(): string {
    const lines = this.refusals.map((r) => r.line);
    const hints = [...new Set([...this.transformerHints(), ...this.refusals.flatMap((r) => (r.hint ? [r.hint] : [])), ...(this.foldedBatchnorm() ? [PRESERVE_HINT] : [])])];
    const unchecked = this.unchecked > 0 ? [`(${this.unchecked} nodes reading what these compute were checked for their operator only)`] : [];
    const head = lines.length === 1 ? [`${this.source}: ${lines[0]}`] : [`${this.source}: ${lines.length} nodes cannot be imported:`, ...lines.map((l) => `  ${l}`)];
    return [...head, ...unchecked, ...hints.map((h) => `hint: ${h}`)].join('\n');
  }

  /**
   * What makes a transformer, which the spec format has no layers for, named as such: attention
   * (MatMul of two computed tensors; the Softmax inside the network counted with them) and layer normalisation
   * (LayerNormalization, or the ReduceMean over the last axis it exports as), counted with the first module they are in.
   */
  private transformerHints(): string[] {
    const { nodes } = this.model.graph;
    const constantInput = (name: string) => ['const', 'wide', 'unread'].includes(this.values.get(name)?.kind ?? '');
    const where = (found: OnnxNode[]) => {
      const module = found.map((n) => (n.name.startsWith('/') ? modulePath(n.name.split('/').filter((s) => s !== '').slice(0, -1)) : '')).find((m) => m !== '');
      return module ? `, the first in module '${module}'` : '';
    };
    const products = nodes.filter((n) => n.opType === 'MatMul' && !n.inputs.slice(0, 2).some(constantInput));
    const softmaxes = nodes.filter((n) => n.opType === 'Softmax' && !this.isOutput(n.outputs[0]));
    const overLastAxis = (n: OnnxNode) => String(n.attributes.axes) === '-1';
    const norms = nodes.filter((n) => n.opType === 'LayerNormalization' || (n.opType === 'ReduceMean' && overLastAxis(n)));
    const hints: string[] = [];
    if (products.length > 0) {
      hints.push(`the model has attention (${products.length} MatMul of two computed tensors, ${softmaxes.length} Softmax inside the network${where([...products, ...softmaxes])}): the spec format has convolutional layers only, no attention`);
    }
    if (norms.length > 0) hints.push(`the model has layer normalisation (${norms.length} mean(s) over the last axis${where(norms)}): the spec format normalises with batchnorm only`);
    return hints;
  }

  /** Whether torch.onnx folded batchnorm into convs: no BatchNormalization left, and a conv weight that is a folded constant (onnx::Conv_*) rather than a named parameter. */
  private foldedBatchnorm(): boolean {
    const nodes = this.model.graph.nodes;
    return !nodes.some((n) => n.opType === 'BatchNormalization') && nodes.some((n) => n.opType === 'Conv' && n.inputs[1]?.startsWith('onnx::Conv_'));
  }

  /** The node's output is the graph's output. */
  isOutput(name: string): boolean {
    return this.model.graph.outputs.some((o) => o.name === name);
  }

  value(at: NodeContext, i: number): Value {
    const name = at.node.inputs[i];
    const v = name === undefined || name === '' ? undefined : this.values.get(name);
    if (!v) at.refuse(`input ${i} ('${name ?? ''}') is missing or not computed before this node`);
    return v;
  }

  optionalValue(at: NodeContext, i: number): Value | undefined {
    const name = at.node.inputs[i];
    return name === undefined || name === '' ? undefined : this.value(at, i);
  }

  tensor(at: NodeContext, i: number): TensorValue {
    const v = this.value(at, i);
    if (v.kind !== 'tensor') at.refuse(`input ${i} ('${at.node.inputs[i]}') must be a computed tensor, not ${VALUE_KINDS[v.kind]}`);
    return v;
  }

  constant(at: NodeContext, i: number): ConstValue {
    const v = this.value(at, i);
    if (v.kind === 'symbolic') at.refuse(`input ${i} ('${at.node.inputs[i]}') is [${v.values.join(', ')}], which depends on the symbolic batch size N; export with a fixed batch size`);
    if (v.kind === 'unread') at.refuse(`input ${i} ('${at.node.inputs[i]}') is a ${dataTypeName(v.dataType)} tensor; esnac reads float32, int32 and int64 constants`);
    if (v.kind === 'wide') at.refuse(`input ${i} ('${at.node.inputs[i]}') is [${v.values.join(', ')}], ${BEYOND_SIZES}`);
    if (v.kind !== 'const') at.refuse(`input ${i} ('${at.node.inputs[i]}') must be a constant (an initializer)`);
    return v;
  }

  /** Input `i` as shape arithmetic: a constant, or entries that hold the symbolic batch size. */
  shape(at: NodeContext, i: number): ConstValue | SymbolicShapeValue {
    const v = this.value(at, i);
    return v.kind === 'symbolic' ? v : this.constant(at, i);
  }

  set(at: NodeContext, value: Value, output = 0): void {
    this.values.set(at.node.outputs[output], value);
  }

  /** Adds a layer reading `inputs` and records its output as the node's output number `output`. */
  addLayer(at: NodeContext, layer: LayerBody, inputs: TensorValue[], shape: Shape, flat: boolean, weights: [WeightKind, tf.Tensor][] = [], op?: string, output = 0): TensorValue {
    const id = this.uniqueId(layerId(at.node, op));
    this.layers.push({ id, ...layer, inputs: inputs.map((v) => v.id) } as Layer);
    for (const [kind, t] of weights) this.weights.set(weightName(id, kind), t);
    const value: TensorValue = { kind: 'tensor', id, shape, flat };
    this.set(at, value, output);
    return value;
  }

  layer(id: string): Layer | undefined {
    return this.layers.find((l) => l.id === id);
  }

  /** Another id for a layer without weights that no layer reads yet; returns the id. */
  rename(layer: Layer, base: string): string {
    this.ids.delete(layer.id);
    layer.id = this.uniqueId(base);
    return layer.id;
  }

  weight(id: string, kind: WeightKind): tf.Tensor | undefined {
    return this.weights.get(weightName(id, kind));
  }

  setWeight(id: string, kind: WeightKind, t: tf.Tensor): void {
    this.weights.set(weightName(id, kind), t);
  }

  usedOnce(name: string): boolean {
    return this.uses.get(name) === 1 && !this.isOutput(name);
  }

  /** [N, C, H, W] (or [N, C] when flat) of a tensor, N as the input's batch size. */
  fullDims(v: TensorValue): Dim[] {
    return v.flat ? [this.batch, v.shape[0]] : [this.batch, ...v.shape];
  }

  private uniqueId(base: string): string {
    let id = base;
    for (let k = 1; this.ids.has(id); k++) id = `${base}_${k}`;
    this.ids.add(id);
    return id;
  }
}

/** Where a node is in the graph, for messages. */
class NodeContext {
  constructor(
    readonly source: string,
    readonly node: OnnxNode,
    readonly index: number,
  ) {}

  /** Refuses the node: its operator, name and module path (PyTorch's scope), the problem, a hint when one exists. */
  refuse(problem: string, hint?: string): never {
    const { node } = this;
    const name = node.name ? `'${node.name}' ` : '';
    const module = node.name.startsWith('/') ? modulePath(node.name.split('/').filter((s) => s !== '').slice(0, -1)) : '';
    const inModule = module !== '' ? ` in module '${module}'` : '';
    throw new Refusal(`node ${this.index} ${name}(${node.opType}, inputs: ${node.inputs.join(', ') || 'none'}; outputs: ${node.outputs.join(', ')})${inModule}: ${problem}`, hint);
  }

  attribute(name: string): OnnxAttribute | undefined {
    return this.node.attributes[name];
  }

  int(name: string, fallback: number): number {
    const a = this.attribute(name) ?? fallback;
    if (typeof a === 'bigint') this.refuse(`attribute ${name} is ${a}, ${BEYOND_SIZES}`);
    if (typeof a !== 'number') this.refuse(`attribute ${name} must be a number`);
    return a;
  }

  ints(name: string): number[] | undefined {
    const a = this.attribute(name);
    if (a === undefined) return undefined;
    if (!Array.isArray(a)) this.refuse(`attribute ${name} must be a list of numbers`);
    if (!isNumbers(a)) this.refuse(`attribute ${name} is [${a.join(', ')}], ${BEYOND_SIZES}`);
    return a;
  }

  string(name: string, fallback: string): string {
    const a = this.attribute(name) ?? fallback;
    if (typeof a !== 'string') this.refuse(`attribute ${name} must be a string`);
    return a;
  }
}

type Handler = (im: Importer, at: NodeContext) => void;

/** Why an int64 beyond 2^53 (read exactly) is refused where a size, an index or a count is meant. */
const BEYOND_SIZES = 'beyond 2^53: no size, index or count of a network esnac imports';

function isNumbers(values: readonly unknown[]): values is number[] {
  return values.every((v) => typeof v === 'number');
}

/** Each kind of value as a refusal names it. */
const VALUE_KINDS: Record<Value['kind'], string> = {
  tensor: 'a computed tensor',
  const: 'a constant',
  wide: 'an int64 constant beyond 2^53',
  unread: 'a constant of a data type esnac does not read',
  symbolic: 'a shape holding the symbolic batch size',
  grouped: 'a half-done channel shuffle',
  padded: 'a zero padding (which only a Conv or an AveragePool can take as its own)',
  refused: 'the output of a refused node',
};

/** Why an operator the spec cannot express is refused, where there is more to say. */
const ACTIVATIONS = 'the spec format\'s activations are relu, relu6 (Clip(0, 6)), sigmoid, hardsigmoid, hardswish, silu and tanh';
const UNSUPPORTED: Record<string, string> = {
  LeakyRelu: ACTIVATIONS,
  Elu: ACTIVATIONS,
  Selu: ACTIVATIONS,
  Gelu: ACTIVATIONS,
  Erf: `${ACTIVATIONS} (Erf comes from GELU)`,
  ConvTranspose: 'the spec format has no transposed convolution',
  LayerNormalization: 'the spec format has no layer normalisation',
};
const SOFTMAX_HINT = 'remove the final log_softmax / softmax: esnac wants logits';
/** What the user can do about an operator, where there is something to say. */
const HINTS: Record<string, string> = {
  Softmax: SOFTMAX_HINT,
  LogSoftmax: SOFTMAX_HINT,
};

const HANDLERS: Record<string, Handler> = {
  Constant: (im: Importer, at: NodeContext) => {
    const t = at.attribute('value');
    if (typeof t !== 'object' || Array.isArray(t)) at.refuse('only Constant nodes with a tensor `value` are supported');
    im.set(at, constant(t));
  },
  Identity: (im: Importer, at: NodeContext) => im.set(at, im.value(at, 0)),
  Shape: (im: Importer, at: NodeContext) => {
    const dims = im.fullDims(im.tensor(at, 0));
    im.set(at, shapeValue([dims.length], dims));
  },
  Gather: (im: Importer, at: NodeContext) => {
    const data = im.shape(at, 0);
    const indices = im.constant(at, 1);
    if (at.int('axis', 0) !== 0 || data.dims.length !== 1) at.refuse('only gathering from a constant vector is supported');
    const n = data.values.length;
    im.set(at, shapeValue(indices.dims, Array.from(indices.values, (i) => data.values[i < 0 ? i + n : i])));
  },
  Unsqueeze: (im: Importer, at: NodeContext) => {
    const v = im.value(at, 0);
    if (!isShapeArithmetic(v) || v.values.length !== 1) at.refuse('only unsqueezing a constant scalar (shape arithmetic) is supported');
    im.set(at, shapeValue([1], Array.from(v.values)));
  },
  Cast: (im: Importer, at: NodeContext) => im.set(at, im.shape(at, 0)),
  Add: (im: Importer, at: NodeContext) => sumOrArithmetic(im, at),
  Sum: (im: Importer, at: NodeContext) => sumOrArithmetic(im, at),
  Sub: (im: Importer, at: NodeContext) => arithmetic(im, at, (a, b) => a - b),
  Mul: (im: Importer, at: NodeContext) => productOrArithmetic(im, at),
  Div: (im: Importer, at: NodeContext) => arithmetic(im, at, (a, b) => Math.trunc(a / b)),
  Concat: (im: Importer, at: NodeContext) => {
    const inputs = at.node.inputs.map((_, i) => im.value(at, i));
    if (inputs.every(isShapeArithmetic)) {
      const values = inputs.flatMap((v) => Array.from(v.values));
      im.set(at, shapeValue([values.length], values));
      return;
    }
    const tensors = at.node.inputs.map((_, i) => im.tensor(at, i));
    const rank = tensors[0].flat ? 2 : 4;
    const axis = at.int('axis', 1);
    if (axis !== 1 && axis !== 1 - rank) at.refuse(`concatenation along axis ${axis}: the spec concatenates channels (axis 1) only`);
    if (tensors.some((t) => t.flat !== tensors[0].flat)) at.refuse('concatenating flat features with feature maps');
    const [, h, w] = tensors[0].shape;
    if (tensors.some((t) => t.shape[1] !== h || t.shape[2] !== w)) at.refuse(`inputs differ in spatial size: ${tensors.map((t) => formatShape(t.shape)).join(', ')}`);
    const channels = tensors.reduce((c, t) => c + t.shape[0], 0);
    im.addLayer(at, { type: 'concat' }, tensors, [channels, h, w], tensors[0].flat);
  },
  Relu: (im: Importer, at: NodeContext) => {
    const x = im.tensor(at, 0);
    im.addLayer(at, { type: 'relu' }, [x], x.shape, x.flat);
  },
  Clip: (im: Importer, at: NodeContext) => {
    const x = im.tensor(at, 0);
    const min = clipBound(im, at, 1, 'min');
    const max = clipBound(im, at, 2, 'max');
    if (min !== 0 || max !== 6) at.refuse(`Clip(${min ?? '-inf'}, ${max ?? 'inf'}): only Clip(0, 6), ReLU6, is supported`);
    im.addLayer(at, { type: 'relu6' }, [x], x.shape, x.flat);
  },
  Sigmoid: (im: Importer, at: NodeContext) => activation(im, at, 'sigmoid'),
  HardSigmoid: (im: Importer, at: NodeContext) => {
    const alpha = at.node.attributes.alpha ?? 0.2;
    const beta = at.node.attributes.beta ?? 0.5;
    if (typeof alpha !== 'number' || typeof beta !== 'number' || Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
      at.refuse(`HardSigmoid with alpha ${String(alpha)} and beta ${String(beta)}: only PyTorch's hardsigmoid (alpha 1/6, beta 1/2) is supported`);
    }
    activation(im, at, 'hardsigmoid');
  },
  HardSwish: (im: Importer, at: NodeContext) => activation(im, at, 'hardswish'),
  Tanh: (im: Importer, at: NodeContext) => activation(im, at, 'tanh'),
  Softmax: (im: Importer, at: NodeContext) => finalSoftmax(im, at),
  LogSoftmax: (im: Importer, at: NodeContext) => finalSoftmax(im, at),
  Pad: (im: Importer, at: NodeContext) => pad(im, at),
  Slice: (im: Importer, at: NodeContext) => slice(im, at),
  Split: (im: Importer, at: NodeContext) => split(im, at),
  Dropout: (im: Importer, at: NodeContext) => {
    const x = im.tensor(at, 0);
    const ratio = im.optionalValue(at, 1);
    if (ratio !== undefined && ratio.kind !== 'const') at.refuse('the dropout ratio must be a constant');
    const rate = ratio ? ratio.values[0] : at.node.attributes.ratio ?? 0.5;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) at.refuse(`dropout ratio ${String(rate)} is not in [0, 1)`);
    im.addLayer(at, { type: 'dropout', rate: Number(Math.fround(rate).toPrecision(6)) }, [x], x.shape, x.flat);
  },
  GlobalAveragePool: (im: Importer, at: NodeContext) => {
    const x = featureMap(im, at);
    im.addLayer(at, { type: 'globalavgpool' }, [x], [x.shape[0], 1, 1], false);
  },
  ReduceMean: (im: Importer, at: NodeContext) => {
    const x = featureMap(im, at);
    const axes = at.ints('axes') ?? (at.node.inputs[1] ? Array.from(im.constant(at, 1).values) : undefined);
    const spatial = axes?.map((a) => (a < 0 ? a + 4 : a)).sort().join(',') === '2,3';
    if (!spatial) at.refuse(`a mean over axes [${axes?.join(', ') ?? 'all'}]: only the mean over H and W (a global average pool) is supported`);
    im.addLayer(at, { type: 'globalavgpool' }, [x], [x.shape[0], 1, 1], at.int('keepdims', 1) === 0);
  },
  Flatten: (im: Importer, at: NodeContext) => {
    const x = im.tensor(at, 0);
    const axis = at.int('axis', 1);
    if (axis !== 1 && axis !== (x.flat ? -1 : -3)) at.refuse(`Flatten with axis ${axis}: the spec flattens all but the batch axis (axis 1)`);
    if (x.flat) im.set(at, x);
    else im.addLayer(at, { type: 'flatten' }, [x], [x.shape[0] * x.shape[1] * x.shape[2], 1, 1], true);
  },
  Reshape: (im: Importer, at: NodeContext) => reshape(im, at),
  Transpose: (im: Importer, at: NodeContext) => {
    const v = im.value(at, 0);
    const perm = at.ints('perm')?.join(',');
    if (v.kind !== 'grouped' || v.transposed || perm !== '0,2,1,3,4') {
      at.refuse('only the transpose of a channel shuffle (Reshape to [N, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape back) is supported');
    }
    im.set(at, { ...v, transposed: true });
  },
  Conv: (im: Importer, at: NodeContext) => conv(im, at),
  BatchNormalization: (im: Importer, at: NodeContext) => batchnorm(im, at),
  MaxPool: (im: Importer, at: NodeContext) => pool(im, at, 'maxpool'),
  AveragePool: (im: Importer, at: NodeContext) => pool(im, at, 'avgpool'),
  Gemm: (im: Importer, at: NodeContext) => gemm(im, at),
  MatMul: (im: Importer, at: NodeContext) => {
    const x = flatInput(im, at);
    const w = im.constant(at, 1);
    if (w.dims.length !== 2 || w.dims[0] !== x.shape[0]) at.refuse(`weight [${w.dims.join(', ')}] does not multiply ${x.shape[0]} features`);
    im.addLayer(at, { type: 'linear', out: w.dims[1], bias: false }, [x], [w.dims[1], 1, 1], true, [['weight', tf.tensor(floats(at, w), w.dims)]]);
  },
};

/** The operators the importer reads (each may still refuse a use of it the spec cannot express). */
export const SUPPORTED_OPERATORS: ReadonlySet<string> = new Set(Object.keys(HANDLERS));

function constant(t: OnnxTensor): ConstValue | WideValue | UnreadValue {
  const { dims, values } = t;
  if (values === null) return { kind: 'unread', dataType: t.dataType };
  return values instanceof Float32Array || isNumbers(values) ? { kind: 'const', dims, values } : { kind: 'wide', dims, values: values as bigint[] };
}

/** Shape arithmetic of these entries: symbolic while one of them is the symbolic batch size. */
function shapeValue(dims: number[], values: Dim[]): ConstValue | SymbolicShapeValue {
  const numbers = values.filter((d): d is number => d !== SYMBOLIC_BATCH);
  return numbers.length === values.length ? { kind: 'const', dims, values: numbers } : { kind: 'symbolic', dims, values };
}

function isShapeArithmetic(v: Value): v is ConstValue | SymbolicShapeValue {
  return v.kind === 'const' || v.kind === 'symbolic';
}

function floats(at: NodeContext, v: ConstValue): Float32Array {
  if (!(v.values instanceof Float32Array)) at.refuse('weights must be float32');
  return v.values;
}

function featureMap(im: Importer, at: NodeContext): TensorValue {
  const x = im.tensor(at, 0);
  if (x.flat) at.refuse('needs a feature map [N, C, H, W] but receives flat features');
  return x;
}

function flatInput(im: Importer, at: NodeContext): TensorValue {
  const x = im.tensor(at, 0);
  if (!x.flat) at.refuse(`needs flat features [N, F] but receives a feature map ${formatShape(x.shape)}: flatten it first`);
  return x;
}

function arithmetic(im: Importer, at: NodeContext, op: (a: number, b: number) => number): void {
  const a = im.value(at, 0);
  const b = im.value(at, 1);
  if (a.kind === 'symbolic' || b.kind === 'symbolic') {
    at.refuse(`${at.node.opType} of the symbolic batch size N: esnac keeps the batch axis as it is (a view that folds the batch into another axis is not supported)`);
  }
  if (a.kind !== 'const' || b.kind !== 'const') at.refuse(`${at.node.opType} of computed tensors: the spec format sums and multiplies layer outputs but has no other element-wise arithmetic`);
  const n = Math.max(a.values.length, b.values.length);
  const pick = (v: ConstValue, i: number) => v.values[v.values.length === 1 ? 0 : i];
  im.set(at, { kind: 'const', dims: a.values.length >= b.values.length ? a.dims : b.dims, values: Array.from({ length: n }, (_, i) => op(pick(a, i), pick(b, i))) });
}

// Add of computed tensors is the spec's sum of inputs; Add of a constant to a bias-free linear
// (MatMul + Add) is that linear's bias; Add of constants is shape arithmetic.
function sumOrArithmetic(im: Importer, at: NodeContext): void {
  const inputs = at.node.inputs.map((_, i) => im.value(at, i));
  if (inputs.every(isShapeArithmetic)) {
    if (at.node.opType === 'Add') arithmetic(im, at, (a, b) => a + b);
    else at.refuse('Sum of constants is not supported');
    return;
  }
  const bias = inputs.findIndex((v) => v.kind === 'const');
  if (bias >= 0 && inputs.length === 2) {
    foldBias(im, at, 1 - bias, inputs[bias] as ConstValue);
    return;
  }
  const tensors = at.node.inputs.map((_, i) => im.tensor(at, i));
  const first = tensors[0];
  for (const t of tensors) {
    if (t.flat !== first.flat || formatShape(t.shape) !== formatShape(first.shape)) {
      at.refuse(`summed inputs must have equal shapes (no broadcasting): ${tensors.map((v) => formatShape(v.shape)).join(', ')}`);
    }
  }
  im.addLayer(at, { type: 'identity' }, tensors, first.shape, first.flat, [], 'add');
}

function foldBias(im: Importer, at: NodeContext, input: number, bias: ConstValue): void {
  const x = im.tensor(at, input);
  const layer = im.layer(x.id);
  if (layer?.type !== 'linear' || layer.bias !== false || !im.usedOnce(at.node.inputs[input])) {
    at.refuse('adding a constant is supported only as the bias of a MatMul (a linear layer without a bias)');
  }
  if (tensorSize(bias.dims) !== layer.out) at.refuse(`bias of ${tensorSize(bias.dims)} values for ${layer.out} features`);
  delete layer.bias;
  im.setWeight(layer.id, 'bias', tf.tensor1d(floats(at, bias)));
  im.set(at, x);
}

/** A bound of Clip: input `i` (opset 11 on) or the attribute `name` (before); undefined when absent. */
function clipBound(im: Importer, at: NodeContext, i: number, name: 'min' | 'max'): number | undefined {
  const v = im.optionalValue(at, i);
  if (v !== undefined && (v.kind !== 'const' || v.values.length !== 1)) at.refuse(`the ${name} bound must be a constant scalar`);
  const bound = v ? v.values[0] : at.attribute(name);
  if (bound !== undefined && typeof bound !== 'number') at.refuse(`attribute ${name} must be a number`);
  return bound;
}

/** The axis a Slice or Split works on, checked to be the channels (axis 1, or its negative form). */
function channelAxis(at: NodeContext, x: TensorValue, axis: number, what: string): void {
  const rank = x.flat ? 2 : 4;
  if (axis !== 1 && axis !== 1 - rank) at.refuse(`${what} along axis ${axis}: only channel chunks (axis 1, as torch.chunk(x, k, 1)) are supported`);
}

/** The chunk layer for channels [start, end) of `x`, or a refusal when they are not one of k equal parts. */
function chunkOf(at: NodeContext, x: TensorValue, start: number, end: number): LayerBody<ChunkLayer> | undefined {
  const c = x.shape[0];
  const size = end - start;
  if (size === c) return undefined;
  if (size <= 0 || c % size !== 0 || start % size !== 0) {
    at.refuse(`channels [${start}, ${end}) of ${c}: only one of k equal parts of the channels (torch.chunk) is supported`);
  }
  return { type: 'chunk', chunks: c / size, index: start / size };
}

/** Constant integers from input `i` (opset 10 on) or the attribute `name` (before). */
function sliceInts(im: Importer, at: NodeContext, i: number, name: string): number[] | undefined {
  const v = im.optionalValue(at, i);
  if (v === undefined) return at.ints(name);
  if (v.kind !== 'const') at.refuse(`${name} must be constants (export with a fixed input size)`);
  return Array.from(v.values);
}

/** Exact int64 bounds as numbers: one beyond 2^53 (INT64_MAX: "to the end") saturates, as ONNX clamps bounds to the axis anyway. */
function saturate(values: readonly (number | bigint)[]): number[] {
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  return values.map((v) => (typeof v === 'number' ? v : Number(v > limit ? limit : v < -limit ? -limit : v)));
}

/** A Slice's starts or ends (input `i`, or attribute `name` before opset 10), extremes saturated. */
function sliceBounds(im: Importer, at: NodeContext, i: number, name: string): number[] | undefined {
  const v = im.optionalValue(at, i);
  if (v === undefined) {
    const a = at.attribute(name);
    return Array.isArray(a) ? saturate(a) : at.ints(name);
  }
  if (v.kind === 'wide') return saturate(v.values);
  return sliceInts(im, at, i, name);
}

function slice(im: Importer, at: NodeContext): void {
  const x = im.tensor(at, 0);
  const [starts, ends] = [sliceBounds(im, at, 1, 'starts'), sliceBounds(im, at, 2, 'ends')];
  if (!starts || !ends) at.refuse('needs starts and ends');
  const axes = sliceInts(im, at, 3, 'axes') ?? starts.map((_, k) => k);
  const steps = sliceInts(im, at, 4, 'steps') ?? starts.map(() => 1);
  if (axes.length !== 1) at.refuse(`slicing along axes [${axes.join(', ')}]: only channel chunks (one axis, 1) are supported`);
  channelAxis(at, x, axes[0], 'slicing');
  if (steps[0] !== 1) at.refuse(`a step of ${steps[0]}: only contiguous channel chunks are supported`);
  // ONNX clamps starts and ends to the axis, after counting negative ones from its end.
  const c = x.shape[0];
  const clamp = (v: number) => Math.min(c, Math.max(0, v < 0 ? v + c : v));
  const chunk = chunkOf(at, x, clamp(starts[0]), clamp(ends[0]));
  if (chunk) im.addLayer(at, chunk, [x], [c / chunk.chunks, x.shape[1], x.shape[2]], x.flat);
  else im.set(at, x);
}

function split(im: Importer, at: NodeContext): void {
  const x = im.tensor(at, 0);
  channelAxis(at, x, at.int('axis', 0), 'splitting');
  const c = x.shape[0];
  const parts = at.node.outputs.length;
  const sizes = sliceInts(im, at, 1, 'split') ?? new Array<number>(parts).fill(c / parts);
  if (sizes.length !== parts || sizes.some((s) => s !== sizes[0]) || sizes[0] * parts !== c) {
    at.refuse(`splitting ${c} channels into [${sizes.join(', ')}]: only a split into equal parts (torch.chunk) is supported`);
  }
  sizes.forEach((size, index) => {
    if (at.node.outputs[index] === '') return;
    const chunk = chunkOf(at, x, index * size, (index + 1) * size);
    if (chunk) im.addLayer(at, chunk, [x], [size, x.shape[1], x.shape[2]], x.flat, [], undefined, index);
    else im.set(at, x, index);
  });
}

/**
 * The target shape of a Reshape per sample, once its 0s and -1 are resolved; the batch axis must
 * stay: its entry is 0 (copy), the input's batch size (fixed, or the symbolic N that Shape gave),
 * or a -1 that resolves to it. N anywhere else mixes the batch with other axes.
 */
function sampleTarget(at: NodeContext, batch: Dim, sample: number[], target: Dim[]): number[] {
  const [first, ...others] = target;
  const rest = others.filter((d): d is number => d !== SYMBOLIC_BATCH);
  const mixesBatch = rest.length !== others.length;
  const total = sample.reduce((a, b) => a * b, 1);
  const dims = rest.map((d, i) => (d === 0 ? sample[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = dims.filter((d) => d === -1).length;
  const keepsBatch = first === 0 || first === batch || (first === -1 && inferred === 0 && known === total);
  if (!keepsBatch || mixesBatch || inferred > 1 || total % known !== 0 || (inferred === 0 && known !== total)) {
    at.refuse(`cannot reshape [N, ${sample.join(', ')}] to [${target.join(', ')}] keeping the batch axis`);
  }
  return dims.map((d) => (d === -1 ? total / known : d));
}

function reshape(im: Importer, at: NodeContext): void {
  const v = im.value(at, 0);
  const target = Array.from(im.shape(at, 1).values);
  if (isShapeArithmetic(v)) at.refuse('reshaping a constant is not supported');
  const x = v.kind === 'grouped' ? v.source : im.tensor(at, 0);
  const [c, h, w] = x.shape;
  const sample = x.flat ? [c] : [c, h, w];
  const dims = sampleTarget(at, im.batch, sample, target);
  const same = (a: number[]) => a.join(',') === dims.join(',');
  if (v.kind === 'grouped') {
    if (!v.transposed || !same(sample)) at.refuse('a channel shuffle must be Reshape [N, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape [N, C, H, W]');
    im.addLayer(at, { type: 'shuffle', groups: v.groups }, [x], x.shape, false, [], 'shuffle');
  } else if (same(sample)) {
    im.set(at, x);
  } else if (!x.flat && same([c * h * w])) {
    im.addLayer(at, { type: 'flatten' }, [x], [c * h * w, 1, 1], true, [], 'flatten');
  } else if (x.flat && same([c, 1, 1])) {
    im.set(at, { ...x, flat: false });
  } else if (!x.flat && dims.length === 4 && same([dims[0], c / dims[0], h, w])) {
    im.set(at, { kind: 'grouped', source: x, groups: dims[0], transposed: false });
  } else {
    at.refuse(`reshaping [N, ${sample.join(', ')}] to [N, ${dims.join(', ')}]: only flattening and channel shuffles are supported`);
  }
}

/** One size from a square / symmetric attribute pair or quadruple, else a refusal naming it. */
function uniform(at: NodeContext, name: string, values: number[] | undefined, fallback: number, what: string): number {
  if (values === undefined || values.length === 0) return fallback;
  if (values.some((v) => v !== values[0])) at.refuse(`${name} [${values.join(', ')}]: the spec supports ${what} only`);
  return values[0];
}

/**
 * Kernel, stride and padding of a window operator, refusing what the spec cannot express; with
 * `symmetric` false the pads [top, left, bottom, right] are the caller's to check.
 */
function windowAttributes(at: NodeContext, kernelFallback?: number[], symmetric = true): { kernel: number; stride: number; padding: number; pads: number[] } {
  const kernelShape = at.ints('kernel_shape') ?? kernelFallback;
  if (!kernelShape || kernelShape.length !== 2) at.refuse('needs a 2-D kernel_shape');
  const kernel = uniform(at, 'kernel_shape', kernelShape, 1, 'square kernels');
  const stride = uniform(at, 'strides', at.ints('strides'), 1, 'equal strides');
  if (uniform(at, 'dilations', at.ints('dilations'), 1, 'no dilation') !== 1) at.refuse('dilated windows cannot be expressed in the spec format');
  const autoPad = at.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') at.refuse(`auto_pad ${autoPad}: export with explicit symmetric pads`);
  const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : at.ints('pads') ?? [0, 0, 0, 0];
  if (pads.length !== 4) at.refuse(`pads [${pads.join(', ')}]: a 2-D window needs 4 pads`);
  const padding = symmetric ? uniform(at, 'pads', pads, 0, 'the same padding on every side') : pads[0];
  return { kernel, stride, padding, pads };
}

/** The feature map a conv or pooling reads, and the zero padding of a Pad before it (0 without one). */
function windowInput(im: Importer, at: NodeContext): { x: TensorValue; padded: number } {
  const v = im.value(at, 0);
  if (v.kind === 'padded') return { x: v.source, padded: v.padding };
  return { x: featureMap(im, at), padded: 0 };
}

function conv(im: Importer, at: NodeContext): void {
  const { x, padded } = windowInput(im, at);
  const w = im.constant(at, 1);
  const bias = im.optionalValue(at, 2);
  if (bias !== undefined && bias.kind !== 'const') at.refuse('the bias must be a constant');
  if (w.dims.length !== 4) at.refuse(`weight of shape [${w.dims.join(', ')}]: only 2-D convolutions are supported`);
  const window = windowAttributes(at, w.dims.slice(2));
  const { kernel, stride } = window;
  const padding = window.padding + padded;
  const groups = at.int('group', 1);
  const [out, perGroup] = w.dims;
  if (perGroup * groups !== x.shape[0]) at.refuse(`weight [${w.dims.join(', ')}] with ${groups} groups does not take ${x.shape[0]} channels`);
  const size = (n: number) => windowOutput(n, kernel, stride, padding);
  const weights: [WeightKind, tf.Tensor][] = [['weight', fromTorchLayout(floats(at, w), w.dims)]];
  if (bias) weights.push(['bias', tf.tensor1d(floats(at, bias))]);
  const layer = { type: 'conv', out, kernel, ...(stride !== 1 ? { stride } : {}), ...(padding !== 0 ? { padding } : {}), ...(groups !== 1 ? { groups } : {}), ...(bias ? {} : { bias: false }) } as const;
  im.addLayer(at, layer, [x], [out, size(x.shape[1]), size(x.shape[2])], false, weights);
}

function batchnorm(im: Importer, at: NodeContext): void {
  const x = im.tensor(at, 0);
  const epsilon = at.node.attributes.epsilon ?? 1e-5;
  if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon <= 1)) at.refuse(`epsilon ${String(epsilon)}: a batchnorm's epsilon is in (0, 1]`);
  const eps = shortestFloat32(epsilon);
  if (at.int('training_mode', 0) !== 0) at.refuse('batchnorm in training mode: export the model in eval mode');
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((i) => im.constant(at, i));
  const c = x.shape[0];
  if ([scale, offset, mean, variance].some((t) => tensorSize(t.dims) !== c)) at.refuse(`its parameters do not have ${c} channels`);
  const kinds: WeightKind[] = ['weight', 'bias', 'running_mean', 'running_var'];
  const weights = [scale, offset, mean, variance].map((t, i): [WeightKind, tf.Tensor] => [kinds[i], tf.tensor1d(floats(at, t))]);
  // momentum only matters when training; esnac fine-tunes with PyTorch's 0.1 whatever the file says.
  const own = Math.fround(eps) !== Math.fround(BN_EPSILON);
  im.addLayer(at, { type: 'batchnorm', ...(own ? { eps } : {}) }, [x], x.shape, x.flat, weights);
}

/** The shortest decimal that is the same float32 as `v` (ONNX's epsilon 0.0010000000474974513 is 0.001). */
function shortestFloat32(v: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const n = Number(v.toPrecision(digits));
    if (Math.fround(n) === Math.fround(v)) return n;
  }
  return v;
}

// PyTorch's ceil_mode is ONNX's, with the rule that a last window starting in the right padding
// is dropped: torch.onnx writes the attribute as it is, and esnac reads it as PyTorch meant it.
// esnac's own export writes a ceil-mode pool as a floor-mode one with the extra right padding in
// its pads, which an average leaves out of its count: read back as the ceil-mode pool it is.
function pool(im: Importer, at: NodeContext, type: 'maxpool' | 'avgpool'): void {
  const { x, padded } = type === 'avgpool' ? windowInput(im, at) : { x: featureMap(im, at), padded: 0 };
  const window = windowAttributes(at, undefined, false);
  const { kernel, stride } = window;
  const [top, left, bottom, right] = window.pads;
  if (padded > 0 && top > 0) at.refuse(`a Pad of ${padded} before an AveragePool with pads of its own: the spec pools with one padding`);
  const padding = top + padded;
  const extra = (size: number) => windowPadding(size, kernel, stride, padding, true)[1] - padding;
  const symmetric = top === left && bottom === top && right === top;
  const countsPads = type === 'avgpool' && at.int('count_include_pad', 0) !== 0;
  const ceilExtra = top === left && at.int('ceil_mode', 0) === 0 && !countsPads && bottom - top === extra(x.shape[1]) && right - left === extra(x.shape[2]);
  if (!symmetric && !ceilExtra) at.refuse(`pads [${window.pads.join(', ')}]: the spec supports the same padding on every side only (or a ceil-mode pool's extra padding on the right)`);
  const ceilMode = !symmetric || at.int('ceil_mode', 0) !== 0;
  if (at.int('storage_order', 0) !== 0) at.refuse('storage_order 1 is not supported');
  if (at.node.outputs.length > 1 && at.node.outputs[1] !== '') at.refuse('pooling indices are not supported');
  // ONNX's count_include_pad defaults to 0, PyTorch's to True; a Pad node's zeros are always counted.
  const excludesPad = type === 'avgpool' && top > 0 && !countsPads;
  if (2 * padding > kernel) at.refuse(`padding ${padding} is more than half the kernel ${kernel}`);
  const size = (n: number) => windowOutput(n, kernel, stride, padding, ceilMode);
  const layer = { type, kernel, stride, ...(padding !== 0 ? { padding } : {}), ...(ceilMode ? { ceilMode } : {}), ...(excludesPad ? { countIncludePad: false } : {}) };
  im.addLayer(at, layer, [x], [x.shape[0], size(x.shape[1]), size(x.shape[2])], false);
}

function activation(im: Importer, at: NodeContext, type: 'sigmoid' | 'hardsigmoid' | 'hardswish' | 'tanh'): void {
  const x = im.tensor(at, 0);
  im.addLayer(at, { type }, [x], x.shape, x.flat);
}

/** The gated activations torch.onnx writes as a product at opset 13: x * sigmoid(x) is silu, x * hardsigmoid(x) hardswish. */
const GATED: Partial<Record<Layer['type'], PlainLayer['type']>> = { sigmoid: 'silu', hardsigmoid: 'hardswish' };

// Mul of constants is shape arithmetic; x times a gate computed from x alone (the gate read by
// nothing else) is the gated activation; another product of two tensors is a mul layer, where a
// Cx1x1 operand (squeeze-and-excitation's gate) scales the channels of the other.
function productOrArithmetic(im: Importer, at: NodeContext): void {
  const inputs = at.node.inputs.map((_, i) => im.value(at, i));
  if (inputs.every(isShapeArithmetic)) {
    arithmetic(im, at, (a, b) => a * b);
    return;
  }
  if (inputs.some((v) => v.kind === 'const')) at.refuse('multiplying by a constant: the spec format multiplies layer outputs only');
  const [a, b] = [im.tensor(at, 0), im.tensor(at, 1)];
  for (const [gate, x, k] of [[a, b, 0], [b, a, 1]] as const) {
    const layer = im.layer(gate.id);
    const gated = layer && GATED[layer.type];
    if (gated && layer.inputs?.length === 1 && layer.inputs[0] === x.id && im.usedOnce(at.node.inputs[k])) {
      (layer as PlainLayer).type = gated;
      // torch.onnx names the gate by the activation module's scope, which is the layer's id already; other producers name the product.
      const id = at.node.name.startsWith('/') ? gate.id : im.rename(layer, layerId(at.node));
      im.set(at, { ...gate, id });
      return;
    }
  }
  const full = a.shape[1] * a.shape[2] >= b.shape[1] * b.shape[2] ? a : b;
  const fits = (v: TensorValue) => v.flat === full.flat && v.shape[0] === full.shape[0] && ((v.shape[1] === 1 && v.shape[2] === 1) || formatShape(v.shape) === formatShape(full.shape));
  if (!fits(a) || !fits(b)) {
    at.refuse(`multiplying ${formatShape(a.shape)} by ${formatShape(b.shape)}${a.flat !== b.flat ? ' (flat features by a feature map)' : ''}: the spec multiplies equal shapes, or features by a per-channel Cx1x1 gate`);
  }
  im.addLayer(at, { type: 'mul' }, [a, b], full.shape, full.flat, [], 'mul');
}

/** A Softmax or LogSoftmax over the classes that gives the graph's output is dropped: esnac trains and compares logits. */
function finalSoftmax(im: Importer, at: NodeContext): void {
  const x = im.tensor(at, 0);
  const axis = at.int('axis', -1);
  const overClasses = x.flat && (axis === 1 || axis === -1);
  if (!im.isOutput(at.node.outputs[0]) || !overClasses) at.refuse(`only a ${at.node.opType} over the classes that gives the output is supported (it is dropped)`, SOFTMAX_HINT);
  im.notes.push(`${at.source}: dropped the final ${at.node.opType} (node ${at.index}${at.node.name ? ` '${at.node.name}'` : ''}): esnac works on logits, the spec's output is the layer before it`);
  im.set(at, x);
}

/** A Pad of zeros on H and W, the same on every side: kept as the padding of the conv or average pooling that reads it. */
function pad(im: Importer, at: NodeContext): void {
  const x = featureMap(im, at);
  const mode = at.string('mode', 'constant');
  if (mode !== 'constant') at.refuse(`mode ${mode}: only zero padding is supported`);
  const pads = sliceInts(im, at, 1, 'pads');
  const fill = im.optionalValue(at, 2);
  if (fill !== undefined && (fill.kind !== 'const' || fill.values.length !== 1)) at.refuse('the padding value must be a constant');
  const value = fill ? fill.values[0] : at.node.attributes.value ?? 0;
  if (value !== 0) at.refuse(`padding with ${String(value)}: only zero padding is supported`);
  if (!pads || pads.length !== 8) at.refuse(`pads [${pads?.join(', ') ?? ''}]: a Pad of a feature map needs 8 pads`);
  const [n0, c0, top, left, n1, c1, bottom, right] = pads;
  if (n0 !== 0 || c0 !== 0 || n1 !== 0 || c1 !== 0) at.refuse(`pads [${pads.join(', ')}]: only padding of H and W is supported`);
  if (top !== left || top !== bottom || top !== right) at.refuse(`pads [${pads.join(', ')}]: the spec supports the same padding on every side only`);
  im.set(at, top === 0 ? x : { kind: 'padded', source: x, padding: top });
}

function gemm(im: Importer, at: NodeContext): void {
  const x = flatInput(im, at);
  const w = im.constant(at, 1);
  const bias = im.optionalValue(at, 2);
  if (bias !== undefined && bias.kind !== 'const') at.refuse('the bias (C) must be a constant');
  if (at.int('transA', 0) !== 0) at.refuse('transA 1 is not supported');
  const alpha = at.node.attributes.alpha ?? 1;
  const beta = at.node.attributes.beta ?? 1;
  if (alpha !== 1 || (bias && beta !== 1)) at.refuse(`alpha ${String(alpha)} and beta ${String(beta)}: only 1 is supported`);
  if (w.dims.length !== 2) at.refuse('the weight (B) must be a matrix');
  const transB = at.int('transB', 0) !== 0;
  const [inFeatures, out] = transB ? [w.dims[1], w.dims[0]] : w.dims;
  if (inFeatures !== x.shape[0]) at.refuse(`weight [${w.dims.join(', ')}] does not take ${x.shape[0]} features`);
  if (bias && tensorSize(bias.dims) !== out) at.refuse(`bias of ${tensorSize(bias.dims)} values for ${out} outputs`);
  const weight = transB ? fromTorchLayout(floats(at, w), w.dims) : tf.tensor(floats(at, w), w.dims);
  const weights: [WeightKind, tf.Tensor][] = [['weight', weight]];
  if (bias) weights.push(['bias', tf.tensor1d(floats(at, bias))]);
  im.addLayer(at, { type: 'linear', out, ...(bias ? {} : { bias: false }) }, [x], [out, 1, 1], true, weights);
}

/**
 * A readable layer id from the node's name. PyTorch names nodes by module scope, e.g.
 * '/layer1/layer1.0/relu_1/Relu': the module is 'layer1.0.relu_1'. Operators of a module's own
 * forward (Add, Concat, Flatten...) get the operator's name appended: 'layer1.0.add'.
 */
export function layerId(node: OnnxNode, op?: string): string {
  const cleaned = scopedId(node, op).replace(/[^A-Za-z0-9_.-]/g, '_');
  const id = ID_PATTERN.test(cleaned) ? cleaned : `_${cleaned}`;
  return id === INPUT_ID ? `${id}_` : id;
}

/** The id a node's name suggests: a PyTorch scope's module, else the name itself. */
function scopedId(node: OnnxNode, op: string | undefined): string {
  if (!node.name.startsWith('/')) return node.name || node.opType.toLowerCase();
  const segments = node.name.split('/').filter((s) => s !== '');
  const path = modulePath(segments.slice(0, -1));
  const suffix = (op ?? segments[segments.length - 1] ?? node.opType).toLowerCase();
  if (path === '') return suffix;
  return LAYER_OPS.has(node.opType) && op === undefined ? path : `${path}.${suffix}`;
}

/**
 * A scope's segments name a module relative to the nearest enclosing module with its own forward:
 * ['layer2', 'layer2.0', 'downsample', 'downsample.0'] is 'layer2.0.downsample.0' (a segment
 * extending the one before it is relative to the same module as that one).
 */
function modulePath(segments: string[]): string {
  let base = '';
  let path = '';
  segments.forEach((s, i) => {
    if (i === 0 || !s.startsWith(`${segments[i - 1]}.`)) base = path;
    path = base === '' ? s : `${base}.${s}`;
  });
  return path;
}

/** Leaves out `inputs` where it is the default (the previous layer; the input for the first). */
function withDefaultInputs(layers: Layer[]): Layer[] {
  return layers.map((layer, i) => {
    const previous = i === 0 ? INPUT_ID : layers[i - 1].id;
    if (layer.inputs?.length !== 1 || layer.inputs[0] !== previous) return layer;
    const { inputs: _, ...rest } = layer;
    return rest as Layer;
  });
}

/** The ONNX model as an esnac spec named `name` and its weights; `source` names the file in messages. */
export function importOnnx(model: OnnxModel, name: string, source: string): ImportedModel {
  return new Importer(model, source).run(name);
}
