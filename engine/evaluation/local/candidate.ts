// A(x) for one candidate: short training with knowledge distillation from the teacher, starting
// from the teacher's weights (or from scratch), A(x) = the best validation accuracy.
import { Dataset } from '../../data';
import { EvaluationRequest, EvaluationResult } from '../types';
import { inheritWeights } from '../../model/inherit';
import { encodeModel, writeModel } from '../../model/io';
import { Network } from '../../model/network';
import { disposeWeights, initialWeights } from '../../model/weights';
import { DEFAULT_SETTINGS, derivedSeed, SearchSettings, TrainingSettings } from '../../run/settings';
import { Rng } from '../../util/rng';
import { DistillLoss, EpochReport, train } from '../../train/loop';
import { errorMessage, isSystemError } from '../../util/errors';

export interface CandidateTraining extends TrainingSettings {
  distillation: DistillLoss;
  /** Start from the teacher's weights (the authors' choice) or from a fresh initialisation. */
  inherit: boolean;
  /** With the candidate's name, seeds its initialisation, batch order and augmentation. */
  seed: number;
}

/** How a run's settings train each candidate. */
export function candidateTraining(settings: SearchSettings): CandidateTraining {
  const { epochs, batchSize, learningRate, weightDecay, seed } = settings;
  const distillation: DistillLoss = settings.distillation === 'kl' ? { kind: 'kl', temperature: settings.temperature } : { kind: 'mse' };
  return { epochs, batchSize, learningRate, weightDecay, distillation, inherit: settings.inheritWeights, seed };
}

export const CANDIDATE_DEFAULTS: CandidateTraining = candidateTraining(DEFAULT_SETTINGS);

/** What an evaluation needs besides the candidate; loaded once and reused across candidates. */
export interface EvaluationContext {
  data: Dataset;
  teacher: Network;
  backend: string;
  training: CandidateTraining;
}

/**
 * Resolves 'failed' for anything that goes wrong with the candidate. Rethrows an abort, and a
 * system error (a full disk while its weights are written): that is the machine's, not the
 * candidate's, so the run stops without journalling it and a resume trains it again.
 */
export async function evaluateCandidate(request: EvaluationRequest, context: EvaluationContext, signal?: AbortSignal, onEpoch?: (report: EpochReport) => void): Promise<EvaluationResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const { training, teacher } = context;
  const rng = new Rng(candidateSeed(training.seed, request.name));
  let net: Network | undefined;
  try {
    const initial = training.inherit ? inheritWeights({ spec: teacher.spec, weights: teacher.weights() }, request.spec, rng) : initialWeights(request.spec, rng);
    try {
      net = new Network(request.spec, initial);
    } finally {
      disposeWeights(initial);
    }
    const outcome = await train(net, context.data, {
      ...training,
      objective: { kind: 'distill', teacher, loss: training.distillation },
      rng,
      ...(signal ? { signal } : {}),
      ...(onEpoch ? { onEpoch } : {}),
    });
    if (outcome.stopped) throw abortError(signal);
    try {
      if (request.outDir && outcome.best) {
        const training = { dataset: context.data.name, epochs: outcome.epochs.length, bestEpoch: outcome.bestEpoch, accuracy: outcome.bestAccuracy };
        writeModel(request.outDir, await encodeModel(request.spec, outcome.best, training, context.data.normalisation), true);
      }
    } finally {
      if (outcome.best) disposeWeights(outcome.best);
    }
    return { status: 'ok', accuracy: outcome.bestAccuracy, params: net.params, seconds: seconds(), backend: context.backend };
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    if (isSystemError(err)) throw err;
    return { status: 'failed', reason: failureReason(err), seconds: seconds() };
  } finally {
    net?.dispose();
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new DOMException('The evaluation was aborted', 'AbortError');
}

/** One line for the journal and the user. */
export function failureReason(err: unknown): string {
  const message = errorMessage(err);
  if (/out of memory|Array buffer allocation failed|Cannot enlarge memory|memory access out of bounds/i.test(message)) {
    return `out of memory: ${message.split('\n')[0]}`;
  }
  return message;
}

/**
 * The seed of a candidate's initialisation and training, from the run's seed and its name: it
 * trains the same whichever worker (or external evaluator) gets it and in whatever order.
 */
export function candidateSeed(seed: number, name: string): number {
  return derivedSeed(seed, 'candidate', name);
}

