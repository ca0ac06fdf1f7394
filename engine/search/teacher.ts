// Training done in the search's own thread: the teacher (trained from scratch, or measured on
// the user's weights) and the final fine-tuning of the top candidates with cross-entropy.
import { cpSync } from 'node:fs';
import { writeFolderAtomic } from '../util/atomic-write';
import { Dataset, loadDataset } from '../data';
import { PytorchEvaluator } from '../evaluation/pytorch/evaluator';
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
      onEpoch: (e: EpochReport) => hooks.log?.(epochLine(e, epochs)),
    });
    if (result.outcome.stopped) throw signal?.reason ?? new Error('training stopped');
    return result;
  } finally {
    if (initial) disposeWeights(initial);
  }
}

function epochLine(e: Pick<EpochReport, 'epoch' | 'loss' | 'accuracy' | 'imagesPerSecond'>, epochs: number): string {
  return `  epoch ${e.epoch}/${epochs}: loss ${e.loss.toFixed(4)}, validation accuracy ${(100 * e.accuracy).toFixed(2)}%, ${e.imagesPerSecond.toFixed(0)} img/s`;
}

function optimiser(settings: SearchSettings): { batchSize: number; learningRate: number; weightDecay: number } {
  return { batchSize: settings.batchSize, learningRate: settings.learningRate, weightDecay: settings.weightDecay };
}

/** Trains the teacher from scratch with cross-entropy and keeps its best epoch in `outDir`. */
export async function trainTeacher(spec: ArchitectureSpec, outDir: string, dataset: string, settings: SearchSettings, hooks: SearchHooks, signal?: AbortSignal, pytorch?: PytorchEvaluator): Promise<TeacherMeasure> {
  const started = performance.now();
  const seed = derivedSeed(settings.seed, 'teacher');
  if (pytorch) {
    hooks.log?.(`training the teacher ${spec.name} on ${dataset} for ${settings.teacherEpochs} epochs with PyTorch (no --teacher-weights given)`);
    const result = await pytorch.fit({ spec, out: outDir, epochs: settings.teacherEpochs, seed, ...optimiser(settings), record: { ...optimiser(settings), seed } }, signal, (e) => hooks.log?.(epochLine(e, settings.teacherEpochs)));
    if (result.status !== 'ok') throw new Error(`training the teacher failed: ${result.reason}`);
    return { accuracy: result.accuracy, params: result.params, trained: true, seconds: (performance.now() - started) / 1000 };
  }
  const data = await datasetFor(dataset, settings);
  hooks.log?.(`training the teacher ${spec.name} on ${data.name} for ${settings.teacherEpochs} epochs (no --teacher-weights given)`);
  const result = await fit(spec, data, settings.teacherEpochs, seed, settings, hooks, signal);
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

/** Fine-tunes a candidate from its search weights with cross-entropy (with PyTorch when given its pool). */
export async function finetuneCandidate(request: FinetuneRequest, dataset: string, settings: SearchSettings, signal?: AbortSignal, pytorch?: PytorchEvaluator): Promise<EvaluationResult> {
  const seed = derivedSeed(settings.seed, 'finetune', request.name);
  if (pytorch) {
    const record = { ...optimiser(settings), seed, finetuned: true };
    return pytorch.fit({ spec: request.spec, ...(request.weights ? { initial: request.weights } : {}), out: request.outDir, epochs: request.epochs, seed, ...optimiser(settings), record }, signal);
  }
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const data = await datasetFor(dataset, settings);
    const result = await fit(request.spec, data, request.epochs, seed, settings, {}, signal, request.weights);
    writeModel(request.outDir, { ...result.model, training: { ...result.model.training, finetuned: true } }, true);
    return { status: 'ok', accuracy: result.accuracy, params: result.params, seconds: seconds(), backend: 'main thread' };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { status: 'failed', reason: failureReason(err), seconds: seconds() };
  }
}
