// The learned kernel of paper section 3.1: a Bi-LSTM embedding trained so that a GP with an RBF
// kernel on the embeddings explains the evaluated architectures (Eq. 5), then used to score
// candidates by expected improvement. The GP algebra runs in Float64 JavaScript; its gradient with
// respect to the embeddings is chained into the LSTM through the surrogate loss sum(E * G).
//
// The caller includes the teacher in the training data with y = 0 (f(teacher) = 0 as C = 0), so
// a kernel's best y is never below 0.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; fitting needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { BiLstmEmbedding, BiLstmJSON, BiLstmOptions, decodeBiLstm } from '../embedding/bilstm';
import { DEFAULT_SETTINGS } from '../../run/settings';
import { EncodedArchitecture } from '../../space/encoding';
import { base64ToFloat32, float32ToBase64 } from '../embedding/float32-base64';
import { conditionGp, DEFAULT_GP_OPTIONS, Gaussians, GpModel, GpOptions, looObjective, posterior } from '../gp/gp';
import { expectedImprovement } from '../acquisition/expected-improvement';
import { Rng } from '../../util/rng';
import { UserError } from '../../util/errors';

export interface KernelFitOptions {
  embedding: Partial<BiLstmOptions>;
  gp: GpOptions;
  /** Adam, full batch. */
  learningRate: number;
  /** L2 term added to the gradient, as PyTorch's Adam weight_decay (not decoupled AdamW). */
  weightDecay: number;
  maxSteps: number;
  /** Early stopping may happen only after this many steps. */
  minSteps: number;
  /** Stop once |ma - ll| < tolerance, ma being the EMA ma = 0.5 ll + 0.5 ma of the LOO log-likelihood. */
  tolerance: number;
}

/** The authors' defaults: the run settings' kernelFit, and the stopping rule. */
export const DEFAULT_KERNEL_FIT_OPTIONS: Readonly<KernelFitOptions> = {
  embedding: {},
  gp: DEFAULT_GP_OPTIONS,
  learningRate: DEFAULT_SETTINGS.kernelFit.learningRate,
  weightDecay: DEFAULT_SETTINGS.kernelFit.weightDecay,
  maxSteps: DEFAULT_SETTINGS.kernelFit.maxSteps,
  minSteps: 5,
  tolerance: 1e-3,
};

export interface FitReport {
  /** Optimiser steps taken. */
  steps: number;
  stoppedEarly: boolean;
  /** Mean LOO log predictive density (-Eq. 5) before each step. */
  logLikelihoods: number[];
}

export const KERNEL_FORMAT = 'esnac-kernel/1';

export interface LearnedKernelJSON {
  format: typeof KERNEL_FORMAT;
  embedding: BiLstmJSON;
  gp: GpOptions;
  /**
   * The training architectures' embeddings under this theta (n x embedding width, base64
   * float32): all the GP needs, so a saved kernel scores candidates of another search (kernel
   * transfer) without its training encodings and without refitting.
   */
  trainingEmbeddings: string;
  ys: number[];
  fit?: FitReport;
}

/** Fits a freshly initialised kernel to (architecture, y) pairs; the teacher must be among them with y = 0. */
export async function fitKernel(
  encodings: readonly EncodedArchitecture[],
  ys: readonly number[],
  options: Partial<KernelFitOptions>,
  rng: Rng,
  signal?: AbortSignal,
): Promise<LearnedKernel> {
  if (encodings.length === 0 || encodings.length !== ys.length) {
    throw new Error(`fitKernel: need as many ys as encodings (at least one), got ${encodings.length} and ${ys.length}`);
  }
  const opts = { ...DEFAULT_KERNEL_FIT_OPTIONS, ...options };
  const y = Float64Array.from(ys);
  const embedding = new BiLstmEmbedding(opts.embedding, rng);
  // PyTorch's Adam epsilon (tfjs defaults to 1e-7).
  const optimizer = tf.train.adam(opts.learningRate, 0.9, 0.999, 1e-8);
  try {
    const report: FitReport = { steps: 0, stoppedEarly: false, logLikelihoods: [] };
    let movingAverage = 0;
    while (report.steps < opts.maxSteps) {
      signal?.throwIfAborted();
      const logLikelihood = -adamStep(embedding, optimizer, encodings, y, opts);
      report.steps++;
      report.logLikelihoods.push(logLikelihood);
      // Started at the first value so that the rule measures convergence, not distance from 0.
      movingAverage = report.steps === 1 ? logLikelihood : 0.5 * logLikelihood + 0.5 * movingAverage;
      if (report.steps > opts.minSteps && Math.abs(movingAverage - logLikelihood) < opts.tolerance) {
        report.stoppedEarly = true;
        break;
      }
      await yieldToEventLoop();
    }
    const trained = await embedToFloat64(embedding, encodings);
    return new LearnedKernel(embedding, trained, y, opts.gp, report);
  } catch (error) {
    embedding.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
}

/** One full-batch Adam step on Eq. 5; returns the loss before the step. */
function adamStep(
  embedding: BiLstmEmbedding,
  optimizer: tf.Optimizer,
  encodings: readonly EncodedArchitecture[],
  y: Float64Array,
  opts: KernelFitOptions,
): number {
  let loss = NaN;
  const { value, grads } = tf.variableGrads(() => {
    const e = embedding.embed(encodings);
    const [n, d] = e.shape;
    const objective = looObjective(Float64Array.from(e.dataSync()), n, d, y, opts.gp);
    loss = objective.loss;
    // d sum(E * G) / d theta = sum_ij G_ij dE_ij / d theta = dL / d theta for the constant G = dL/dE.
    const g = tf.tensor2d(Float32Array.from(objective.gradE), [n, d]);
    return tf.sum(tf.mul(e, g));
  }, embedding.variables);
  value.dispose();
  const decayed = tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    for (const v of embedding.variables) named[v.name] = tf.add(grads[v.name], tf.mul(v, opts.weightDecay));
    return named;
  });
  optimizer.applyGradients(decayed);
  tf.dispose([grads, decayed]);
  return loss;
}

export interface PredictOptions {
  /** Candidates embedded per forward pass (bounds memory: 1,000 x 60 layers at once is ~0.5 GB). */
  batchSize?: number;
  signal?: AbortSignal;
}

/** A fitted (or loaded) kernel: the embedding with the GP conditioned on its training data. */
export class LearnedKernel {
  readonly gp: GpModel;
  /** Best y in the training data: the y* of expected improvement. */
  readonly yBest: number;

  constructor(
    readonly embedding: BiLstmEmbedding,
    trainingEmbeddings: Float64Array,
    readonly ys: Float64Array,
    gpOptions: GpOptions,
    readonly fit?: FitReport,
  ) {
    const d = embedding.embeddingWidth;
    if (trainingEmbeddings.length !== ys.length * d) throw new Error('LearnedKernel: embeddings and ys disagree in count');
    this.gp = conditionGp(trainingEmbeddings, ys.length, d, ys, gpOptions);
    this.yBest = Math.max(...ys);
  }

  /** GP posterior of y for each candidate, given this kernel's training data. */
  async predict(candidates: readonly EncodedArchitecture[], options: PredictOptions = {}): Promise<Gaussians> {
    const batchSize = options.batchSize ?? 250;
    const mu = new Float64Array(candidates.length);
    const sigma = new Float64Array(candidates.length);
    for (let start = 0; start < candidates.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const chunk = candidates.slice(start, start + batchSize);
      const predicted = posterior(this.gp, await embedToFloat64(this.embedding, chunk), chunk.length);
      mu.set(predicted.mu, start);
      sigma.set(predicted.sigma, start);
    }
    return { mu, sigma };
  }

  async expectedImprovement(candidates: readonly EncodedArchitecture[], options: PredictOptions = {}): Promise<Float64Array> {
    const { mu, sigma } = await this.predict(candidates, options);
    return expectedImprovement(mu, sigma, this.yBest);
  }

  toJSON(): LearnedKernelJSON {
    return {
      format: KERNEL_FORMAT,
      embedding: this.embedding.toJSON(),
      gp: { ...this.gp.options },
      trainingEmbeddings: float32ToBase64(Float32Array.from(this.gp.embeddings)),
      ys: Array.from(this.ys),
      ...(this.fit ? { fit: this.fit } : {}),
    };
  }

  /** Loads a saved kernel; `source` (a file path) names it in error messages. */
  static fromJSON(json: unknown, source: string): LearnedKernel {
    const saved = checkedKernelJSON(json, source);
    const embedding = BiLstmEmbedding.fromJSON(saved.embedding, source);
    const trained = Float64Array.from(base64ToFloat32(saved.trainingEmbeddings)!);
    return new LearnedKernel(embedding, trained, Float64Array.from(saved.ys), { rbfSigma2: saved.gp.rbfSigma2, noise: saved.gp.noise }, saved.fit);
  }

  dispose(): void {
    this.embedding.dispose();
  }
}

/** A saved kernel, checked whole without creating tensors; `source` (a file path) names it in error messages. */
export function checkedKernelJSON(json: unknown, source: string): LearnedKernelJSON {
  const saved = json as Partial<LearnedKernelJSON> | undefined;
  const problem = (what: string) => new UserError(`${source}: ${what}`);
  if (saved?.format !== KERNEL_FORMAT) throw problem(`not a saved kernel (format is not '${KERNEL_FORMAT}')`);
  const gp = saved.gp;
  if (!(gp && gp.rbfSigma2 > 0 && gp.noise > 0)) throw problem('gp.rbfSigma2 and gp.noise must be positive numbers');
  const ys = saved.ys;
  if (!Array.isArray(ys) || ys.length === 0 || !ys.every(Number.isFinite)) throw problem('ys must be a non-empty list of numbers');
  const trained = typeof saved.trainingEmbeddings === 'string' ? base64ToFloat32(saved.trainingEmbeddings) : undefined;
  const { options } = decodeBiLstm(saved.embedding as BiLstmJSON, source);
  if (trained?.length !== ys.length * 2 * options.hidden) throw problem(`trainingEmbeddings must hold ${ys.length} x ${2 * options.hidden} float32 values`);
  return saved as LearnedKernelJSON;
}

async function embedToFloat64(embedding: BiLstmEmbedding, batch: readonly EncodedArchitecture[]): Promise<Float64Array> {
  const e = embedding.embed(batch);
  try {
    return Float64Array.from(await e.data());
  } finally {
    e.dispose();
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
