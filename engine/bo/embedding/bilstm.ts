// The architecture embedding h(x; theta) of paper section 3.1: a multi-layer bidirectional LSTM
// over the layer rows, the mean of the last layer's outputs over time, L2-normalised.
// Written by hand rather than with tf.layers (half the time per training step, docs/compute.md),
// feature-major: states are [hidden, batch], so every split of the gates and every concat of the
// two directions is a contiguous block of rows. Column slices are ~100x slower on the 'cpu'
// backend, and slicing per time step out of one projected sequence costs a copy of the whole
// sequence per step on 'wasm' (its Slice reads its whole input), so each step projects its own input.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../util/rng';
import { UserError } from '../../util/errors';
import { DEFAULT_SETTINGS } from '../../run/settings';
import { EncodedArchitecture, encodingWidth } from '../../space/encoding';
import { base64ToFloat32, float32ToBase64 } from './float32-base64';


export interface BiLstmOptions {
  layers: number;
  /** Hidden units per direction; the embedding has 2 * hidden dimensions. */
  hidden: number;
  /** Width of an encoded row (10 types + 6 attributes + 2 * 128 edge positions). */
  inputWidth: number;
}

/** The run settings' embedding, over the search space's encoding. */
export const DEFAULT_BILSTM_OPTIONS: Readonly<BiLstmOptions> = {
  layers: DEFAULT_SETTINGS.kernelFit.lstmLayers,
  hidden: DEFAULT_SETTINGS.kernelFit.hidden,
  inputWidth: encodingWidth(),
};

export const BILSTM_FORMAT = 'esnac-bilstm/1';

/**
 * Saved parameters, laid out as PyTorch's nn.LSTM: per layer, forward then backward, the input
 * weights (4 hidden x in), recurrent weights (4 hidden x hidden) and bias (4 hidden, PyTorch's
 * bias_ih + bias_hh), gate rows ordered input, forget, cell, output; each base64 float32.
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
        pooled.push(this.embedGroup(stepInputs(batch, indices, this.options.inputWidth)));
        order.push(...indices);
      }
      const grouped = tf.transpose(pooled.length === 1 ? pooled[0] : tf.concat(pooled, 1));
      return l2Normalise(order.every((b, i) => b === i) ? grouped : permuteRows(grouped, order));
    });
  }

  toJSON(): BiLstmJSON {
    const { layers, hidden, inputWidth } = this.options;
    const weights = this.variables.map((v) => float32ToBase64(v.dataSync() as Float32Array));
    return { format: BILSTM_FORMAT, layers, hidden, inputWidth, weights };
  }

  /** Rebuilds saved weights; `source` names the file in error messages. */
  static fromJSON(json: BiLstmJSON, source: string): BiLstmEmbedding {
    const { options, values } = decodeBiLstm(json, source);
    return new BiLstmEmbedding(options, values);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  /** Per-step inputs [inputWidth, batch] in time order; returns the pooled [2 hidden, batch]. */
  private embedGroup(inputs: tf.Tensor2D[]): tf.Tensor2D {
    let sequence = inputs;
    for (let l = 0; l < this.stack.length - 1; l++) {
      const { forward, backward } = this.stack[l];
      const forwardStates = runDirection(forward, sequence, false);
      const backwardStates = runDirection(backward, sequence, true);
      sequence = forwardStates.map((f, t) => tf.concat([f, backwardStates[t]], 0));
    }
    const { forward, backward } = this.stack[this.stack.length - 1];
    return tf.concat([meanOverTime(runDirection(forward, sequence, false)), meanOverTime(runDirection(backward, sequence, true))], 0);
  }
}

/** Checks saved weights and decodes them, creating no tensors; `source` names the file in error messages. */
export function decodeBiLstm(json: BiLstmJSON, source: string): { options: BiLstmOptions; values: Float32Array[] } {
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
  return { options, values };
}

/** Hidden states [hidden, batch] of one direction, returned in time order. */
function runDirection(w: DirectionWeights, inputs: tf.Tensor2D[], reverse: boolean): tf.Tensor2D[] {
  const bias = tf.reshape(w.bias, [-1, 1]) as tf.Tensor2D;
  const outputs = new Array<tf.Tensor2D>(inputs.length);
  let h: tf.Tensor2D | undefined;
  let c: tf.Tensor2D | undefined;
  for (let s = 0; s < inputs.length; s++) {
    const t = reverse ? inputs.length - 1 - s : s;
    // A tidy per step frees the gate intermediates during inference; under a gradient tape,
    // tfjs keeps what the backward pass needs.
    [h, c] = tf.tidy(() => lstmCell(w, bias, inputs[t], h, c));
    outputs[t] = h;
  }
  return outputs;
}

/** One step; a missing state is zero, so the first step skips the recurrent matMul and the forget term. */
function lstmCell(w: DirectionWeights, bias: tf.Tensor2D, x: tf.Tensor2D, h?: tf.Tensor2D, c?: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const projected = tf.add(tf.matMul(w.input, x), bias);
  const gates = h ? tf.add(projected, tf.matMul(w.recurrent, h)) : projected;
  const [i, f, g, o] = tf.split(gates, 4, 0);
  const candidate: tf.Tensor2D = tf.mul(tf.sigmoid(i), tf.tanh(g));
  const cell: tf.Tensor2D = c ? tf.add(tf.mul(tf.sigmoid(f), c), candidate) : candidate;
  return [tf.mul(tf.sigmoid(o), tf.tanh(cell)), cell];
}

function meanOverTime(outputs: tf.Tensor2D[]): tf.Tensor2D {
  return tf.div(tf.addN(outputs), outputs.length);
}

/** Row `order[k]` of the result is row k of `rows`: a permutation matMul, differentiable on every backend (wasm has no gather gradient). */
function permuteRows(rows: tf.Tensor2D, order: number[]): tf.Tensor2D {
  const n = order.length;
  const permutation = new Float32Array(n * n);
  order.forEach((b, k) => (permutation[b * n + k] = 1));
  return tf.matMul(tf.tensor2d(permutation, [n, n]), rows);
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

/** One [width, batch] tensor per time step for the architectures at `indices` (all of one length). */
function stepInputs(batch: readonly EncodedArchitecture[], indices: number[], width: number): tf.Tensor2D[] {
  const rows = batch[indices[0]].rows;
  const columns = indices.length;
  const steps = Array.from({ length: rows }, () => new Float32Array(width * columns));
  indices.forEach((b, column) => {
    const arch = batch[b];
    if (arch.width !== width || arch.rows < 1 || arch.data.length !== arch.rows * width) {
      throw new Error(`BiLstmEmbedding: architecture ${b} is ${arch.rows} x ${arch.width} with ${arch.data.length} values; expected width ${width}`);
    }
    for (let t = 0; t < rows; t++) {
      const step = steps[t];
      for (let k = 0; k < width; k++) step[k * columns + column] = arch.data[t * width + k];
    }
  });
  return steps.map((step) => tf.tensor2d(step, [width, columns]));
}

function parameterShapes({ layers, hidden, inputWidth }: BiLstmOptions): number[][] {
  const shapes: number[][] = [];
  for (let l = 0; l < layers; l++) {
    const width = l === 0 ? inputWidth : 2 * hidden;
    for (let direction = 0; direction < 2; direction++) shapes.push([4 * hidden, width], [4 * hidden, hidden], [4 * hidden]);
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
