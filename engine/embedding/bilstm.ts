// The architecture embedding h(x; theta) of paper section 3.1: a multi-layer bidirectional LSTM
// over the layer rows, the mean of the last layer's outputs over time, L2-normalised.
// Written by hand rather than with tf.layers: one input-projection matMul per layer and direction
// covers every time step, which halves the time of a training step (notes/compute.md).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';
import { base64ToFloat32, float32ToBase64 } from './float32-base64';

/** One architecture as its layer-encoding matrix: `rows` layers in topological order, row-major. */
export interface EncodedArchitecture {
  rows: number;
  width: number;
  data: Float32Array;
}

export interface BiLstmOptions {
  layers: number;
  /** Hidden units per direction; the embedding has 2 * hidden dimensions. */
  hidden: number;
  /** Width of an encoded row (10 types + 6 attributes + 2 * 128 edge positions). */
  inputWidth: number;
}

export const DEFAULT_BILSTM_OPTIONS: Readonly<BiLstmOptions> = { layers: 4, hidden: 64, inputWidth: 272 };

export const BILSTM_FORMAT = 'esnac-bilstm/1';

/**
 * Saved parameters. Gate columns are ordered input, forget, output, cell (one sigmoid covers the
 * first three); `weights` lists, per layer, forward then backward: input kernel
 * (in x 4 hidden), recurrent kernel (hidden x 4 hidden), bias (4 hidden), each as base64 float32.
 */
export interface BiLstmJSON {
  format: typeof BILSTM_FORMAT;
  layers: number;
  hidden: number;
  inputWidth: number;
  weights: string[];
}

interface DirectionWeights {
  input: tf.Variable<tf.Rank.R2>;
  recurrent: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

interface LayerWeights {
  forward: DirectionWeights;
  backward: DirectionWeights;
}

export class BiLstmEmbedding {
  readonly options: BiLstmOptions;
  /** Every trainable parameter, in the order of `BiLstmJSON.weights`. */
  readonly variables: tf.Variable[];
  private readonly stack: LayerWeights[];

  /**
   * `init` is an Rng for a fresh initialisation like PyTorch's LSTM (every weight and both biases
   * uniform in +-1/sqrt(hidden), no forget-gate offset; the two biases are kept as their sum), or
   * saved weights in `variables` order.
   */
  constructor(options: Partial<BiLstmOptions>, init: Rng | readonly Float32Array[]) {
    this.options = { ...DEFAULT_BILSTM_OPTIONS, ...options };
    const shapes = parameterShapes(this.options);
    const values = Array.isArray(init) ? init : shapes.map((shape) => pytorchInit(shape, this.options.hidden, init as Rng));
    if (values.length !== shapes.length) throw new Error(`BiLstmEmbedding: expected ${shapes.length} weight arrays, got ${values.length}`);
    this.variables = shapes.map((shape, i) => toVariable(values[i], shape));
    this.stack = groupLayers(this.variables, this.options.layers);
  }

  get embeddingWidth(): number {
    return 2 * this.options.hidden;
  }

  /**
   * Embeddings of a batch, one L2-normalised row of `embeddingWidth` per architecture, in batch
   * order. Architectures of different lengths run as separate groups.
   */
  embed(batch: readonly EncodedArchitecture[]): tf.Tensor2D {
    if (batch.length === 0) throw new Error('BiLstmEmbedding.embed: empty batch');
    return tf.tidy(() => {
      const pooled: tf.Tensor2D[] = [];
      const order: number[] = [];
      for (const indices of groupByLength(batch).values()) {
        pooled.push(this.embedGroup(timeMajorInput(batch, indices, this.options.inputWidth)));
        order.push(...indices);
      }
      const stacked = pooled.length === 1 ? pooled[0] : tf.concat(pooled, 0);
      const inBatchOrder = order.every((b, i) => b === i) ? stacked : tf.gather(stacked, inversePermutation(order));
      return l2Normalise(inBatchOrder);
    });
  }

  toJSON(): BiLstmJSON {
    const { layers, hidden, inputWidth } = this.options;
    const weights = this.variables.map((v) => float32ToBase64(v.dataSync() as Float32Array));
    return { format: BILSTM_FORMAT, layers, hidden, inputWidth, weights };
  }

  /** Rebuilds saved weights; `source` names the file in error messages. */
  static fromJSON(json: BiLstmJSON, source: string): BiLstmEmbedding {
    const problem = (what: string) => new UserError(`${source}: ${what}`);
    if (json?.format !== BILSTM_FORMAT) throw problem(`embedding format is not '${BILSTM_FORMAT}'`);
    const options = { layers: json.layers, hidden: json.hidden, inputWidth: json.inputWidth };
    if (!Object.values(options).every((v) => Number.isInteger(v) && v > 0)) throw problem('embedding layers, hidden and inputWidth must be positive integers');
    const shapes = parameterShapes(options);
    if (!Array.isArray(json.weights) || json.weights.length !== shapes.length) throw problem(`embedding needs ${shapes.length} weight arrays`);
    const values = shapes.map((shape, i) => {
      const decoded = typeof json.weights[i] === 'string' ? base64ToFloat32(json.weights[i]) : undefined;
      if (decoded?.length !== shape[0] * (shape[1] ?? 1)) throw problem(`embedding weight ${i} does not have shape [${shape}]`);
      return decoded;
    });
    return new BiLstmEmbedding(options, values);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  /** x is [time, batch, inputWidth]; returns the pooled, unnormalised [batch, 2 * hidden]. */
  private embedGroup(x: tf.Tensor3D): tf.Tensor2D {
    let sequence = x;
    for (let l = 0; l < this.stack.length - 1; l++) {
      const { forward, backward } = this.stack[l];
      sequence = tf.concat([tf.stack(runDirection(forward, sequence, false)), tf.stack(runDirection(backward, sequence, true))], 2) as tf.Tensor3D;
    }
    const { forward, backward } = this.stack[this.stack.length - 1];
    return tf.concat([meanOverTime(runDirection(forward, sequence, false)), meanOverTime(runDirection(backward, sequence, true))], 1);
  }
}

/** Hidden states of one direction over [time, batch, in], returned in time order. */
function runDirection(w: DirectionWeights, x: tf.Tensor3D, reverse: boolean): tf.Tensor2D[] {
  const [steps, batch, width] = x.shape;
  const hidden = w.recurrent.shape[0];
  const projected = tf.add(tf.matMul(tf.reshape(x, [steps * batch, width]), w.input), w.bias);
  const inputs = tf.unstack(tf.reshape(projected, [steps, batch, 4 * hidden])) as tf.Tensor2D[];
  const outputs = new Array<tf.Tensor2D>(steps);
  let h: tf.Tensor2D | undefined;
  let c: tf.Tensor2D | undefined;
  for (let s = 0; s < steps; s++) {
    const t = reverse ? steps - 1 - s : s;
    // A tidy per step frees the gate intermediates during inference; under a gradient tape,
    // tfjs keeps what the backward pass needs.
    [h, c] = tf.tidy(() => lstmCell(w, inputs[t], h, c));
    outputs[t] = h;
  }
  return outputs;
}

/** One step from the projected input; a missing state is zero, so the first step skips the recurrent matMul. */
function lstmCell(w: DirectionWeights, projected: tf.Tensor2D, h?: tf.Tensor2D, c?: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const hidden = w.recurrent.shape[0];
  const gates = h ? tf.add(projected, tf.matMul(h, w.recurrent)) : projected;
  const [sigmoidPart, cellPart] = tf.split(gates, [3 * hidden, hidden], 1);
  const [i, f, o] = tf.split(tf.sigmoid(sigmoidPart), 3, 1);
  const candidate: tf.Tensor2D = tf.mul(i, tf.tanh(cellPart));
  const cell: tf.Tensor2D = c ? tf.add(tf.mul(f, c), candidate) : candidate;
  return [tf.mul(o, tf.tanh(cell)), cell];
}

function meanOverTime(outputs: tf.Tensor2D[]): tf.Tensor2D {
  return tf.div(tf.addN(outputs), outputs.length);
}

function l2Normalise(e: tf.Tensor2D): tf.Tensor2D {
  const norm = tf.sqrt(tf.sum(tf.square(e), 1, true));
  return tf.div(e, tf.maximum(norm, 1e-12));
}

function groupByLength(batch: readonly EncodedArchitecture[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  batch.forEach((arch, i) => {
    const group = groups.get(arch.rows);
    if (group) group.push(i);
    else groups.set(arch.rows, [i]);
  });
  return groups;
}

function timeMajorInput(batch: readonly EncodedArchitecture[], indices: number[], width: number): tf.Tensor3D {
  const rows = batch[indices[0]].rows;
  const data = new Float32Array(rows * indices.length * width);
  indices.forEach((b, slot) => {
    const arch = batch[b];
    if (arch.width !== width || arch.rows < 1 || arch.data.length !== arch.rows * width) {
      throw new Error(`BiLstmEmbedding: architecture ${b} is ${arch.rows} x ${arch.width} with ${arch.data.length} values; expected width ${width}`);
    }
    for (let t = 0; t < rows; t++) data.set(arch.data.subarray(t * width, (t + 1) * width), (t * indices.length + slot) * width);
  });
  return tf.tensor3d(data, [rows, indices.length, width]);
}

function inversePermutation(order: number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((b, position) => (inverse[b] = position));
  return inverse;
}

function parameterShapes({ layers, hidden, inputWidth }: BiLstmOptions): number[][] {
  const shapes: number[][] = [];
  for (let l = 0; l < layers; l++) {
    const width = l === 0 ? inputWidth : 2 * hidden;
    for (let direction = 0; direction < 2; direction++) shapes.push([width, 4 * hidden], [hidden, 4 * hidden], [4 * hidden]);
  }
  return shapes;
}

function pytorchInit(shape: number[], hidden: number, rng: Rng): Float32Array {
  const bound = 1 / Math.sqrt(hidden);
  const uniform = () => (2 * rng.next() - 1) * bound;
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const isBias = shape.length === 1;
  for (let i = 0; i < values.length; i++) values[i] = isBias ? uniform() + uniform() : uniform();
  return values;
}

function toVariable(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape);
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

function groupLayers(variables: tf.Variable[], layers: number): LayerWeights[] {
  const direction = (at: number): DirectionWeights => ({
    input: variables[at] as tf.Variable<tf.Rank.R2>,
    recurrent: variables[at + 1] as tf.Variable<tf.Rank.R2>,
    bias: variables[at + 2] as tf.Variable<tf.Rank.R1>,
  });
  return Array.from({ length: layers }, (_, l) => ({ forward: direction(6 * l), backward: direction(6 * l + 3) }));
}
