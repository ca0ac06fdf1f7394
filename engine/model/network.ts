// A spec as a trainable tfjs network: one tf.Variable per weight (engine/model/weights), a
// forward pass over the resolved graph in NHWC, PyTorch semantics where tfjs differs (pooling
// padding, flatten order, batchnorm running statistics, grouped convolutions).
import * as tf from '@tensorflow/tfjs-core';
import { resolveGraph, ResolvedGraph } from '../architecture/graph';
import { inferShapes, ShapeReport, windowOutput, windowPadding } from '../architecture/shapes';
import { ArchitectureSpec, BN_EPSILON, ConvLayer, INPUT_ID, Layer, PoolLayer } from '../architecture/types';
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { weightName, WeightKind, WeightMap, weightSpecs, WeightSpec } from './weights';

/** PyTorch's convention: running = (1 - momentum) * running + momentum * batch statistic. */
export const BN_MOMENTUM = 0.1;

/** One batchnorm's statistics of a training batch, for updateRunningStats after the step. */
export interface BatchStats {
  layer: string;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** Values per channel the statistics were taken over (PyTorch's unbiased correction). */
  count: number;
}

export type ForwardMode =
  | { training: false }
  /** Batch statistics in batchnorm, dropout masks drawn from rng; `stats` collects the batch statistics. */
  | { training: true; rng: Rng; stats?: BatchStats[] };

export class Network {
  readonly graph: ResolvedGraph;
  readonly shapes: ShapeReport;
  readonly weightSpecs: WeightSpec[];
  private readonly variables = new Map<string, tf.Variable>();

  /** Copies `weights` (which must match the spec, else a UserError); the caller keeps them. */
  constructor(
    readonly spec: ArchitectureSpec,
    weights: WeightMap,
  ) {
    this.graph = resolveGraph(spec);
    this.shapes = checkedShapes(spec, this.graph);
    this.weightSpecs = weightSpecs(spec, this.shapes);
    checkWeights(spec.name, this.weightSpecs, weights);
    for (const w of this.weightSpecs) this.variables.set(w.name, tf.variable(weights.get(w.name)!, w.trainable));
  }

  get params(): number {
    return this.shapes.params;
  }

  /** Forward MACs per image (conv and linear). */
  get macs(): number {
    return this.shapes.macs;
  }

  /** The variables the optimiser updates. */
  trainable(): tf.Variable[] {
    return this.weightSpecs.filter((w) => w.trainable).map((w) => this.variables.get(w.name)!);
  }

  /** The live weights by name (not copies: read them, don't dispose them). */
  weights(): WeightMap {
    return new Map(this.variables);
  }

  /** Copies of all weights (e.g. the best epoch's); the caller disposes them. */
  snapshot(): WeightMap {
    return new Map([...this.variables].map(([name, v]) => [name, tf.clone(v)]));
  }

  /** Overwrites the weights with `weights` (same names and shapes). */
  assign(weights: WeightMap): void {
    checkWeights(this.spec.name, this.weightSpecs, weights);
    for (const [name, v] of this.variables) v.assign(weights.get(name)!);
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }

  /** Logits [N, classes] for images [N, H, W, C]. Call inside tf.tidy (intermediates are not disposed). */
  forward(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    return tf.reshape(this.activations(x, mode).get(this.graph.output)!, [x.shape[0], this.spec.classes]);
  }

  /** Every layer's output [N, H, W, C] by id (flat features are [N, 1, 1, F]), and `input`. Call inside tf.tidy. */
  activations(x: tf.Tensor4D, mode: ForwardMode): Map<string, tf.Tensor4D> {
    const values = new Map<string, tf.Tensor4D>([[INPUT_ID, x]]);
    for (const { layer, inputs } of this.graph.order) {
      const readsImages = inputs.length === 1 && inputs[0] === INPUT_ID;
      values.set(layer.id, this.layer(layer, inputs.map((id) => values.get(id)!), mode, readsImages));
    }
    return values;
  }

  /** Moves the running statistics towards a training batch's, as PyTorch's batchnorm does in train mode. */
  updateRunningStats(stats: BatchStats[]): void {
    tf.tidy(() => {
      for (const s of stats) {
        const mean = this.weight(s.layer, 'running_mean');
        const variance = this.weight(s.layer, 'running_var');
        const unbiased = tf.mul(s.variance, s.count / Math.max(1, s.count - 1));
        mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(s.mean, BN_MOMENTUM)));
        variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
      }
    });
  }

  private weight(layer: string, kind: WeightKind): tf.Variable {
    return this.variables.get(weightName(layer, kind))!;
  }

  private optionalWeight(layer: string, kind: WeightKind): tf.Variable | undefined {
    return this.variables.get(weightName(layer, kind));
  }

  private layer(layer: Layer, inputs: tf.Tensor4D[], mode: ForwardMode, readsImages: boolean): tf.Tensor4D {
    if (layer.type === 'concat') return inputs.length === 1 ? inputs[0] : tf.concat(inputs, 3);
    if (layer.type === 'mul') return inputs.reduce((a, b) => tf.mul(a, b));
    const x = inputs.length === 1 ? inputs[0] : (tf.addN(inputs) as tf.Tensor4D);
    switch (layer.type) {
      case 'conv':
        return this.conv(layer, x, readsImages);
      case 'linear': {
        const [n, , , c] = x.shape;
        const bias = this.optionalWeight(layer.id, 'bias');
        const y = tf.fused.matMul({ a: tf.reshape(x, [n, c]), b: this.weight(layer.id, 'weight'), ...(bias ? { bias } : {}) });
        return tf.reshape(y, [n, 1, 1, layer.out]);
      }
      case 'batchnorm':
        return this.batchnorm(layer.id, x, mode, layer.eps ?? BN_EPSILON);
      case 'relu':
        return tf.relu(x);
      case 'relu6':
        return tf.relu6(x);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'hardsigmoid':
        return hardsigmoid(x);
      case 'hardswish':
        return tf.mul(x, hardsigmoid(x));
      case 'silu':
        return tf.mul(x, tf.sigmoid(x));
      case 'tanh':
        return tf.tanh(x);
      case 'maxpool':
      case 'avgpool':
        return pool(layer, x);
      case 'globalavgpool':
        return tf.mean(x, [1, 2], true);
      case 'flatten':
        return flattenChw(x);
      case 'shuffle':
        return channelShuffle(x, layer.groups);
      case 'chunk': {
        const size = x.shape[3] / layer.chunks;
        return tf.slice(x, [0, 0, 0, layer.index * size], [-1, -1, -1, size]);
      }
      case 'dropout':
        if (!mode.training || layer.rate === 0) return x;
        return tf.dropout(x, layer.rate, undefined, mode.rng.int(0, 0x7fffffff)) as tf.Tensor4D;
      case 'identity':
        return x;
    }
  }

  private conv(layer: ConvLayer, x: tf.Tensor4D, readsImages: boolean): tf.Tensor4D {
    const strides = layer.stride ?? 1;
    const pad = layer.padding ?? 0;
    const groups = layer.groups ?? 1;
    const filter = this.weight(layer.id, 'weight') as tf.Tensor4D;
    const bias = this.optionalWeight(layer.id, 'bias');
    const withBias = bias ? { bias } : {};
    const inChannels = x.shape[3];
    if (groups === 1 && readsImages) {
      // The fused conv's gradient always computes the input's gradient too, which nothing needs
      // for the images; the plain conv's gradient computes only what the tape asks for.
      const y = tf.conv2d(x, filter, strides, pad);
      return bias ? tf.add(y, bias) : y;
    }
    if (groups === 1) return tf.fused.conv2d({ x, filter, strides, pad, ...withBias });
    if (groups === inChannels) {
      // Output channel o of a depthwise conv reads input o / multiplier, in both PyTorch and tfjs.
      const depthwise = tf.reshape(filter, [layer.kernel, layer.kernel, inChannels, layer.out / inChannels]) as tf.Tensor4D;
      return tf.fused.depthwiseConv2d({ x, filter: depthwise, strides, pad, ...withBias });
    }
    // tfjs has no grouped conv2d: one conv per group, outputs concatenated in group order.
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const filters = tf.split(filter, groups, 3) as tf.Tensor4D[];
    const y = tf.concat(xs.map((xi, g) => tf.conv2d(xi, filters[g], strides, pad)), 3);
    return bias ? tf.add(y, bias) : y;
  }

  private batchnorm(id: string, x: tf.Tensor4D, mode: ForwardMode, eps: number): tf.Tensor4D {
    const scale = this.weight(id, 'weight');
    const offset = this.weight(id, 'bias');
    if (!mode.training) {
      return tf.batchNorm(x, this.weight(id, 'running_mean'), this.weight(id, 'running_var'), offset, scale, eps) as tf.Tensor4D;
    }
    const { y, mean, variance } = batchNormTraining(x, scale as tf.Tensor1D, offset as tf.Tensor1D, eps);
    if (mode.stats) {
      const [n, h, w] = x.shape;
      mode.stats.push({ layer: id, mean, variance, count: n * h * w });
    } else {
      tf.dispose([mean, variance]);
    }
    return y;
  }
}

/**
 * Batchnorm with the batch's own statistics over N, H, W and the closed-form gradient: autodiff
 * of moments + batchNorm takes many small ops (and Tile) per layer, a third of a training step.
 * `mean` and `variance` (biased) come back for the running statistics, outside any tidy (kept, so
 * they outlive the gradient's tidy until the running statistics follow): the caller disposes them.
 * They carry no gradient.
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  scale: tf.Tensor1D,
  offset: tf.Tensor1D,
  eps = BN_EPSILON,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const channels = x.shape[3];
  const rows = x.size / channels;
  let mean!: tf.Tensor1D;
  let variance!: tf.Tensor1D;
  const run = tf.customGrad((...args) => {
    const [input, gamma, beta] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const x2 = tf.reshape(input, [rows, channels]) as tf.Tensor2D;
    mean = tf.keep(columnMeans(x2));
    variance = tf.keep(columnMeans(tf.squaredDifference(x2, mean)));
    save([input, gamma, mean, variance]);
    // x * s + t with per-channel s and t: two element-wise ops; wasm's BatchNorm kernel is ~6x slower than one.
    const s = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)));
    const value = tf.add(tf.mul(input, s), tf.sub(beta, tf.mul(mean, s)));
    return { value, gradFunc: (dy, saved) => batchNormGradients(dy as tf.Tensor4D, saved as tf.Tensor[], eps) };
  });
  const y = run(x, scale, offset) as tf.Tensor4D;
  return { y, mean, variance };
}

// dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), dgamma = sum(dy * xhat),
// dbeta = sum(dy), over the M = N*H*W rows of [M, C], in element-wise ops with per-channel
// operands (wasm's BatchNorm kernel is slower than two of them).
function batchNormGradients(dy: tf.Tensor4D, [x, gamma, mean, variance]: tf.Tensor[], eps: number): tf.Tensor[] {
  const channels = dy.shape[3];
  const rows = dy.size / channels;
  const dy2 = tf.reshape(dy, [rows, channels]) as tf.Tensor2D;
  const invstd = tf.rsqrt(tf.add(variance, eps));
  const xhat = tf.mul(tf.sub(tf.reshape(x, [rows, channels]), mean), invstd);
  const meanDy = columnMeans(dy2);
  const meanDyXhat = columnMeans(tf.mul(dy2, xhat));
  const centred = tf.sub(dy2, tf.add(tf.mul(xhat, meanDyXhat), meanDy));
  const dx = tf.mul(centred, tf.mul(gamma, invstd));
  return [tf.reshape(dx, dy.shape), tf.mul(meanDyXhat, rows), tf.mul(meanDy, rows)];
}

// Per-channel means of [M, C] as one average pooling over all M rows: on wasm that is XNNPACK's
// channel-contiguous pooling, ~10x faster than Sum over axis 0 (which transposes first) and than
// a matMul by ones (which packs the data as weights on every call).
function columnMeans(x: tf.Tensor2D): tf.Tensor1D {
  const [rows, channels] = x.shape;
  return tf.reshape(tf.avgPool(tf.reshape(x, [1, rows, 1, channels]) as tf.Tensor4D, [rows, 1], 1, 'valid'), [channels]);
}

/** Frees the statistics a training forward pass kept. */
export function disposeStats(stats: BatchStats[]): void {
  for (const s of stats) tf.dispose([s.mean, s.variance]);
  stats.length = 0;
}

// PyTorch's hardsigmoid: min(max(x / 6 + 1/2, 0), 1), with its gradient (1/6 inside, 0 outside).
function hardsigmoid(x: tf.Tensor4D): tf.Tensor4D {
  return tf.div(tf.relu6(tf.add(x, 3)), 6);
}

// PyTorch pads then pools: max pooling pads with -inf, average pooling with zeros. Ceil mode's
// last window may reach past the right padding: padded further on the right, so every window is
// a 'valid' one. An average divides by the window clipped to the padded input
// (count_include_pad) or to the input alone: a constant per output position, applied as a factor
// on tfjs's average over the whole window where it differs from 1.
function pool(layer: PoolLayer, x: tf.Tensor4D): tf.Tensor4D {
  const { kernel } = layer;
  const stride = layer.stride ?? kernel;
  const p = layer.padding ?? 0;
  const [, h, w] = x.shape;
  const oh = windowOutput(h, kernel, stride, p, layer.ceilMode);
  const ow = windowOutput(w, kernel, stride, p, layer.ceilMode);
  const rowPads = windowPadding(h, kernel, stride, p, layer.ceilMode);
  const columnPads = windowPadding(w, kernel, stride, p, layer.ceilMode);
  const max = layer.type === 'maxpool';
  const padded = rowPads[1] > 0 || columnPads[1] > 0 ? tf.pad(x, [[0, 0], rowPads, columnPads, [0, 0]], max ? -Infinity : 0) : x;
  if (max) return tf.maxPool(padded, kernel, stride, 'valid');
  const mean = tf.avgPool(padded, kernel, stride, 'valid');
  const includePad = layer.countIncludePad ?? true;
  const rows = windowShares(h, oh, kernel, stride, p, includePad);
  const columns = windowShares(w, ow, kernel, stride, p, includePad);
  if (rows.every((r) => r === 1) && columns.every((c) => c === 1)) return mean;
  const factors = Float32Array.from({ length: oh * ow }, (_, i) => 1 / (rows[Math.floor(i / ow)] * columns[i % ow]));
  return tf.mul(mean, tf.tensor4d(factors, [1, oh, ow, 1]));
}

/** Per output position along one axis: the part of the kernel the divisor counts (1 for the whole window). */
function windowShares(size: number, outputs: number, kernel: number, stride: number, padding: number, includePad: boolean): number[] {
  return Array.from({ length: outputs }, (_, o) => {
    const start = o * stride - padding;
    const end = Math.min(start + kernel, size + padding);
    const counted = includePad ? end - start : Math.min(end, size) - Math.max(start, 0);
    return counted / kernel;
  });
}

// PyTorch flattens NCHW: channel-major order, so linear weights mean the same in both.
function flattenChw(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const chw = h === 1 && w === 1 ? x : tf.transpose(x, [0, 3, 1, 2]);
  return tf.reshape(chw, [n, 1, 1, c * h * w]);
}

// PyTorch's view(N, g, C/g, H, W).transpose(1, 2), in NHWC.
function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [n, h, w, c]);
}

function checkedShapes(spec: ArchitectureSpec, graph: ResolvedGraph): ShapeReport {
  const shapes = inferShapes(spec, graph);
  if (shapes.issues.length > 0) {
    const list = shapes.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new UserError(`architecture '${spec.name}' cannot be built:\n${list}`);
  }
  return shapes;
}

/** Throws a UserError naming every missing, extra or wrongly shaped weight. */
export function checkWeights(what: string, specs: WeightSpec[], weights: WeightMap): void {
  const problems: string[] = [];
  const expected = new Set(specs.map((w) => w.name));
  for (const w of specs) {
    const t = weights.get(w.name);
    if (!t) problems.push(`missing ${w.name} [${w.shape.join(', ')}]`);
    else if (!tf.util.arraysEqual(t.shape, w.shape)) problems.push(`${w.name} is [${t.shape.join(', ')}], the spec needs [${w.shape.join(', ')}]`);
  }
  for (const name of weights.keys()) if (!expected.has(name)) problems.push(`unexpected weight ${name}`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).map((p) => `  ${p}`).join('\n');
    const more = problems.length > 10 ? `\n  ... and ${problems.length - 10} more` : '';
    throw new UserError(`the weights do not match architecture '${what}':\n${shown}${more}`);
  }
}
