// Training done in the search's own thread: the teacher (trained from scratch, or measured on
// the user's weights) and the final fine-tuning of the top candidates with cross-entropy.
import { cpSync } from 'node:fs';
import { Dataset, loadDataset } from '../data';
import { EvaluationResult } from '../evaluation/types';
import { encodeModel, loadModel, writeModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights, initialWeights, WeightMap } from '../model/weights';
import { TeacherEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { ArchitectureSpec } from '../spec/types';
import { failureReason } from '../train/candidate';
import { evaluateAccuracy, train } from '../train/loop';
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { FinetuneRequest } from './finish';
import { SearchHooks } from './search';

type TeacherMeasure = Pick<TeacherEvent, 'accuracy' | 'params' | 'trained' | 'seconds'>;

async function datasetFor(name: string, settings: SearchSettings): Promise<Dataset> {
  return loadDataset(name, {
    ...(settings.limitTrain > 0 ? { limitTrain: settings.limitTrain } : {}),
    ...(settings.limitValidation > 0 ? { limitValidation: settings.limitValidation } : {}),
  });
}

/** Trains the teacher from scratch with cross-entropy and keeps its best epoch in `outDir`. */
export async function trainTeacher(spec: ArchitectureSpec, outDir: string, dataset: string, settings: SearchSettings, hooks: SearchHooks, signal?: AbortSignal): Promise<TeacherMeasure> {
  const started = performance.now();
  const data = await datasetFor(dataset, settings);
  hooks.log?.(`training the teacher ${spec.name} on ${data.name} for ${settings.teacherEpochs} epochs (no --teacher-weights given)`);
  const outcome = await trainFrom(spec, undefined, data, settings.teacherEpochs, settings, new Rng(derivedSeed(settings.seed, 'teacher')), hooks, signal);
  if (outcome.stopped) throw signal?.reason ?? new Error('teacher training stopped');
  writeModel(outDir, await encodeModel(spec, outcome.best, { dataset: data.name, epochs: settings.teacherEpochs, accuracy: outcome.accuracy }));
  disposeWeights(outcome.best);
  return { accuracy: outcome.accuracy, params: outcome.params, trained: true, seconds: (performance.now() - started) / 1000 };
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
    const accuracy = evaluateAccuracy(net, data.validation, data);
    cpSync(weightsDir, outDir, { recursive: true, errorOnExist: true, force: false });
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
    const rng = new Rng(derivedSeed(settings.seed, 'finetune', request.name));
    const from = request.weights ? loadModel(request.weights).weights : undefined;
    const outcome = await trainFrom(request.spec, from, data, request.epochs, settings, rng, {}, signal);
    if (outcome.stopped) throw signal?.reason ?? new Error('fine-tuning stopped');
    writeModel(request.outDir, await encodeModel(request.spec, outcome.best, { dataset: data.name, epochs: request.epochs, accuracy: outcome.accuracy, finetuned: true }), true);
    disposeWeights(outcome.best);
    return { status: 'ok', accuracy: outcome.accuracy, params: outcome.params, seconds: seconds(), backend: 'main thread' };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { status: 'failed', reason: failureReason(err), seconds: seconds() };
  }
}

/** Cross-entropy training from given weights (disposed here) or a fresh initialisation. */
async function trainFrom(
  spec: ArchitectureSpec,
  weights: WeightMap | undefined,
  data: Dataset,
  epochs: number,
  settings: SearchSettings,
  rng: Rng,
  hooks: SearchHooks,
  signal?: AbortSignal,
): Promise<{ best: WeightMap; accuracy: number; params: number; stopped: boolean }> {
  const initial = weights ?? initialWeights(spec, rng);
  let net: Network;
  try {
    net = new Network(spec, initial);
  } finally {
    disposeWeights(initial);
  }
  try {
    const outcome = await train(net, data, {
      epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      objective: { kind: 'cross-entropy' },
      rng,
      ...(signal ? { signal } : {}),
      onEpoch: (e) => hooks.log?.(`  epoch ${e.epoch}/${epochs}: loss ${e.loss.toFixed(4)}, validation accuracy ${(100 * e.accuracy).toFixed(2)}%, ${e.imagesPerSecond.toFixed(0)} img/s`),
    });
    if (!outcome.best) return { best: new Map(), accuracy: 0, params: net.params, stopped: true };
    return { best: outcome.best, accuracy: outcome.bestAccuracy, params: net.params, stopped: outcome.stopped };
  } finally {
    net.dispose();
  }
}
