// Training a network on labels with cross-entropy and Adam, keeping the best validation epoch:
// a teacher from scratch before a search, or a searched candidate fine-tuned from its weights.
import type { TrainingSettings } from '../../protocol';
import { Dataset } from '../data';
import { encodeModel, EncodedModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights, initialWeights, WeightMap } from '../model/weights';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';
import { CheckpointIdentity, disposeTrainState, readCheckpoint, writeCheckpoint } from './checkpoint';
import { EpochReport, evaluateAccuracy, train, TrainOutcome, TrainState } from './loop';

export interface FitOptions extends TrainingSettings {
  seed: number;
  /** Weights to start from (the caller keeps them); absent: a fresh initialisation from the seed. */
  initial?: WeightMap;
  /** Stops after the current batch; the best weights so far are kept. */
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
  /** A folder rewritten after every epoch; one left by a stopped fit of the same training is gone on from. */
  checkpoint?: {
    dir: string;
    /** The epochs the checkpoint held (the fit goes on at the next), before training goes on. */
    resumed?(epochs: EpochReport[]): void;
    /** A checkpoint that is there but not used, and why. */
    ignored?(reason: string): void;
  };
}

export interface FitResult {
  outcome: TrainOutcome;
  /** The kept weights with the spec; a stop before the first epoch ended keeps the weights it had. */
  model: EncodedModel;
  accuracy: number;
  params: number;
}

export async function fitOnLabels(spec: ArchitectureSpec, data: Dataset, options: FitOptions): Promise<FitResult> {
  const identity: CheckpointIdentity = { spec: spec.name, seed: options.seed, epochs: options.epochs, batchSize: options.batchSize, learningRate: options.learningRate, weightDecay: options.weightDecay, examples: data.train.count };
  const saved = options.checkpoint && readCheckpoint(options.checkpoint.dir, identity);
  if (saved && 'ignored' in saved) options.checkpoint?.ignored?.(saved.ignored);
  const resume = saved && 'state' in saved ? saved.state : undefined;
  try {
    if (resume) options.checkpoint?.resumed?.(resume.epochs);
    return await fitFrom(spec, data, options, identity, resume);
  } finally {
    if (resume) disposeTrainState(resume);
  }
}

async function fitFrom(spec: ArchitectureSpec, data: Dataset, options: FitOptions, identity: CheckpointIdentity, resume: TrainState | undefined): Promise<FitResult> {
  const rng = resume ? new Rng(resume.rng) : new Rng(options.seed);
  let net: Network;
  if (resume) {
    net = new Network(spec, resume.weights);
  } else if (options.initial) {
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
    const { checkpoint, ...rest } = options;
    const outcome = await train(net, data, {
      ...rest,
      objective: { kind: 'cross-entropy' },
      rng,
      ...(resume && { resume }),
      ...(checkpoint && { onCheckpoint: (state: TrainState) => writeCheckpoint(checkpoint.dir, state, identity) }),
    });
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
