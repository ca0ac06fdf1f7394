// Training a network on labels with cross-entropy and Adam, keeping the best validation epoch:
// a teacher from scratch before a search, or a searched candidate fine-tuned from its weights.
import type { TrainingSettings } from '../../protocol';
import { Dataset } from '../data';
import { encodeModel, EncodedModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights, initialWeights, WeightMap } from '../model/weights';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';
import { EpochReport, evaluateAccuracy, train, TrainOutcome } from './loop';

export interface FitOptions extends TrainingSettings {
  seed: number;
  /** Weights to start from (the caller keeps them); absent: a fresh initialisation from the seed. */
  initial?: WeightMap;
  /** Stops after the current batch; the best weights so far are kept. */
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
}

export interface FitResult {
  outcome: TrainOutcome;
  /** The kept weights with the spec; a stop before the first epoch ended keeps the weights it had. */
  model: EncodedModel;
  accuracy: number;
  params: number;
}

export async function fitOnLabels(spec: ArchitectureSpec, data: Dataset, options: FitOptions): Promise<FitResult> {
  const rng = new Rng(options.seed);
  let net: Network;
  if (options.initial) {
    net = new Network(spec, options.initial);
  } else {
    const initial = initialWeights(spec, rng);
    try {
      net = new Network(spec, initial);
    } finally {
      disposeWeights(initial);
    }
  }
  try {
    const outcome = await train(net, data, { ...options, objective: { kind: 'cross-entropy' }, rng });
    if (outcome.best) {
      net.assign(outcome.best);
      disposeWeights(outcome.best);
      delete outcome.best;
    }
    const accuracy = outcome.epochs.length > 0 ? outcome.bestAccuracy : await evaluateAccuracy(net, data.validation, data);
    const training = {
      dataset: data.name,
      examples: data.train.count,
      epochs: outcome.epochs.length,
      bestEpoch: outcome.bestEpoch,
      validationAccuracy: accuracy,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      weightDecay: options.weightDecay,
      seed: options.seed,
    };
    return { outcome, model: await encodeModel(spec, net.weights(), training, data.normalisation), accuracy, params: net.params };
  } finally {
    net.dispose();
  }
}
