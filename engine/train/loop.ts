// Mini-batch training of a Network with Adam (PyTorch semantics: weight decay is L2 added to the
// gradient of every parameter), either from labels (cross-entropy) or from a teacher's logits
// (knowledge distillation). Keeps the best validation epoch's weights.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradient functions; training needs them whatever the backend.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { TrainingSettings } from '../../protocol';
import { batches, Dataset, Split } from '../data';
import { BatchStats, disposeStats, Network } from '../model/network';
import { disposeWeights, WeightMap } from '../model/weights';
import { Rng } from '../util/rng';

/** PyTorch Adam's defaults (tfjs's epsilon default is 1e-7). */
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const EVAL_BATCH = 256;

/** Distillation loss between student and teacher logits: MSE as in the authors' code, or KL at temperature T. */
export type DistillLoss = { kind: 'mse' } | { kind: 'kl'; temperature: number };

export type Objective = { kind: 'cross-entropy' } | { kind: 'distill'; teacher: Network; loss: DistillLoss };

export interface TrainConfig extends TrainingSettings {
  objective: Objective;
  /** Draws batch order, augmentation and dropout masks. */
  rng: Rng;
  /** Stops after the current batch; train() then returns what it has (`stopped`). */
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
}

export interface EpochReport {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Validation accuracy in [0, 1]. */
  accuracy: number;
  /** Training images per second (validation excluded). */
  imagesPerSecond: number;
  seconds: number;
  best: boolean;
}

export interface TrainOutcome {
  epochs: EpochReport[];
  /** -1 when no epoch finished. */
  bestAccuracy: number;
  bestEpoch: number;
  /** The best epoch's weights (the caller disposes them); undefined when no epoch finished. */
  best?: WeightMap;
  /** The signal stopped it before the last epoch. */
  stopped: boolean;
}

/** A training run that cannot go on: the loss is no longer a finite number. */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
}

export async function train(net: Network, data: Dataset, config: TrainConfig): Promise<TrainOutcome> {
  const optimizer = tf.train.adam(config.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  const outcome: TrainOutcome = { epochs: [], bestAccuracy: -1, bestEpoch: 0, stopped: false };
  try {
    for (let epoch = 1; epoch <= config.epochs && !outcome.stopped; epoch++) {
      const started = performance.now();
      let lossSum = 0;
      let steps = 0;
      let images = 0;
      for (const batch of batches(data.train, data, config.batchSize, config.rng)) {
        const loss = await trainStep(net, optimizer, data, batch.x, batch.y, batch.count, config);
        if (!Number.isFinite(loss)) throw new DivergedError(`the training loss became ${loss} in epoch ${epoch} (try a lower learning rate)`);
        lossSum += loss;
        steps++;
        images += batch.count;
        // Lets abort handlers (SIGINT, a cancelled request) run between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (config.signal?.aborted) {
          outcome.stopped = true;
          break;
        }
      }
      if (outcome.stopped) break;
      const trainSeconds = (performance.now() - started) / 1000;
      const accuracy = await evaluateAccuracy(net, data.validation, data);
      const best = accuracy > outcome.bestAccuracy;
      if (best) {
        if (outcome.best) disposeWeights(outcome.best);
        outcome.best = net.snapshot();
        outcome.bestAccuracy = accuracy;
        outcome.bestEpoch = epoch;
      }
      const report = { epoch, loss: lossSum / steps, accuracy, imagesPerSecond: images / trainSeconds, seconds: (performance.now() - started) / 1000, best };
      outcome.epochs.push(report);
      config.onEpoch?.(report);
    }
    return outcome;
  } catch (err) {
    if (outcome.best) disposeWeights(outcome.best);
    throw err;
  } finally {
    optimizer.dispose();
  }
}

/** One optimiser step on a batch; returns the batch's loss. */
// Values are read with data(), not dataSync(): WebGPU in Node cannot read synchronously.
async function trainStep(net: Network, optimizer: tf.Optimizer, data: Dataset, x: Float32Array, y: Int32Array, count: number, config: TrainConfig): Promise<number> {
  const stats: BatchStats[] = [];
  const { channels, height, width } = data.input;
  const loss = tf.tidy(() => {
    const images = tf.tensor4d(x, [count, height, width, channels]);
    const target = config.objective.kind === 'distill' ? config.objective.teacher.forward(images, { training: false }) : (tf.oneHot(tf.tensor1d(y, 'int32'), data.classes) as tf.Tensor2D);
    const { value, grads } = tf.variableGrads(() => {
      const logits = net.forward(images, { training: true, rng: config.rng, stats });
      return objectiveLoss(config.objective, logits, target);
    }, net.trainable());
    optimizer.applyGradients(withWeightDecay(grads, net.trainable(), config.weightDecay));
    return value;
  });
  net.updateRunningStats(stats);
  disposeStats(stats);
  const [value] = await loss.data();
  loss.dispose();
  return value;
}

function objectiveLoss(objective: Objective, logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  if (objective.kind === 'cross-entropy') return tf.losses.softmaxCrossEntropy(target, logits);
  return distillationLoss(objective.loss, logits, target);
}

/** MSE as PyTorch's MSELoss (mean over all logits); KL as batchmean KL(teacher || student) x T^2 (Hinton et al.). */
export function distillationLoss(loss: DistillLoss, student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  if (loss.kind === 'mse') return tf.mean(tf.squaredDifference(student, teacher));
  const t = loss.temperature;
  const teacherLog = tf.logSoftmax(tf.div(teacher, t));
  const studentLog = tf.logSoftmax(tf.div(student, t));
  const perExample = tf.sum(tf.mul(tf.exp(teacherLog), tf.sub(teacherLog, studentLog)), 1);
  return tf.mul(tf.mean(perExample), t * t);
}

function withWeightDecay(grads: tf.NamedTensorMap, variables: tf.Variable[], weightDecay: number): tf.NamedTensorMap {
  if (weightDecay === 0) return grads;
  const decayed: tf.NamedTensorMap = {};
  for (const v of variables) decayed[v.name] = tf.add(grads[v.name], tf.mul(v, weightDecay));
  return decayed;
}

/** Top-1 accuracy in [0, 1] of `net` in inference mode on a split. */
export async function evaluateAccuracy(net: Network, split: Split, data: Dataset, batchSize = EVAL_BATCH): Promise<number> {
  let correct = 0;
  const { channels, height, width } = data.input;
  for (const batch of batches(split, data, batchSize, new Rng(0), { augment: false, shuffle: false })) {
    const predicted = tf.tidy(() => tf.argMax(net.forward(tf.tensor4d(batch.x, [batch.count, height, width, channels]), { training: false }), 1));
    const labels = await predicted.data();
    predicted.dispose();
    for (let i = 0; i < batch.count; i++) if (labels[i] === batch.y[i]) correct++;
  }
  return split.count === 0 ? 0 : correct / split.count;
}
