// Training done in the search's own thread: the teacher (trained from scratch, or measured on
// the user's weights) and the final fine-tuning of the top candidates with cross-entropy.
import { cpSync } from 'node:fs';
import { writeFolderAtomic } from '../util/atomic-write';
import { Dataset, loadDataset } from '../data';
import { EvaluationResult } from '../evaluation/types';
import { loadModel, writeModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights } from '../model/weights';
import { TeacherEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { ArchitectureSpec } from '../architecture/types';
import { failureReason } from '../evaluation/local/candidate';
import { EpochReport, evaluateAccuracy } from '../train/loop';
import { FitResult, fitOnLabels } from '../train/supervised';
import { UserError } from '../util/errors';
import { FinetuneRequest } from './finish';
import { SearchHooks } from './search';

type TeacherMeasure = Pick<TeacherEvent, 'accuracy' | 'params' | 'trained' | 'seconds'>;

async function datasetFor(name: string, settings: SearchSettings): Promise<Dataset> {
  return loadDataset(name, {
    ...(settings.limitTrain > 0 ? { limitTrain: settings.limitTrain } : {}),
    ...(settings.limitValidation > 0 ? { limitValidation: settings.limitValidation } : {}),
  });
}

/** Cross-entropy training with the run's optimiser settings; a stop before the end rejects. */
async function fit(spec: ArchitectureSpec, data: Dataset, epochs: number, seed: number, settings: SearchSettings, hooks: SearchHooks, signal?: AbortSignal, from?: string): Promise<FitResult> {
  const initial = from ? loadModel(from).weights : undefined;
  try {
    const result = await fitOnLabels(spec, data, {
      epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      seed,
      ...(initial ? { initial } : {}),
      ...(signal ? { signal } : {}),
      onEpoch: (e: EpochReport) => hooks.log?.(`  epoch ${e.epoch}/${epochs}: loss ${e.loss.toFixed(4)}, validation accuracy ${(100 * e.accuracy).toFixed(2)}%, ${e.imagesPerSecond.toFixed(0)} img/s`),
    });
    if (result.outcome.stopped) throw signal?.reason ?? new Error('training stopped');
    return result;
  } finally {
    if (initial) disposeWeights(initial);
  }
}

/** Trains the teacher from scratch with cross-entropy and keeps its best epoch in `outDir`. */
export async function trainTeacher(spec: ArchitectureSpec, outDir: string, dataset: string, settings: SearchSettings, hooks: SearchHooks, signal?: AbortSignal): Promise<TeacherMeasure> {
  const started = performance.now();
  const data = await datasetFor(dataset, settings);
  hooks.log?.(`training the teacher ${spec.name} on ${data.name} for ${settings.teacherEpochs} epochs (no --teacher-weights given)`);
  const result = await fit(spec, data, settings.teacherEpochs, derivedSeed(settings.seed, 'teacher'), settings, hooks, signal);
  writeModel(outDir, result.model);
  return { accuracy: result.accuracy, params: result.params, trained: true, seconds: (performance.now() - started) / 1000 };
}

/** Measures the user's teacher weights on the validation split and copies them into the run. */
export async function measureTeacher(spec: ArchitectureSpec, weightsDir: string, outDir: string, dataset: string, settings: SearchSettings): Promise<TeacherMeasure> {
  const started = performance.now();
  const loaded = loadModel(weightsDir);
  let net: Network;
  try {
    net = new Network(spec, loaded.weights);
  } catch (err) {
    throw new UserError(`${weightsDir}: these weights do not fit the teacher spec ${spec.name}: ${(err as Error).message}`);
  } finally {
    disposeWeights(loaded.weights);
  }
  try {
    const data = await datasetFor(dataset, settings);
    const accuracy = await evaluateAccuracy(net, data.validation, data);
    writeFolderAtomic(outDir, (temporary) => cpSync(weightsDir, temporary, { recursive: true }));
    return { accuracy, params: net.params, trained: false, seconds: (performance.now() - started) / 1000 };
  } finally {
    net.dispose();
  }
}

/** Fine-tunes a candidate from its search weights with cross-entropy. */
export async function finetuneCandidate(request: FinetuneRequest, dataset: string, settings: SearchSettings, signal?: AbortSignal): Promise<EvaluationResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const data = await datasetFor(dataset, settings);
    const result = await fit(request.spec, data, request.epochs, derivedSeed(settings.seed, 'finetune', request.name), settings, {}, signal, request.weights);
    writeModel(request.outDir, { ...result.model, training: { ...result.model.training, finetuned: true } }, true);
    return { status: 'ok', accuracy: result.accuracy, params: result.params, seconds: seconds(), backend: 'main thread' };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { status: 'failed', reason: failureReason(err), seconds: seconds() };
  }
}
