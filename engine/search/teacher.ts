// The teacher of a run, before the search: trained from scratch, or measured on the user's weights.
import { cpSync } from 'node:fs';
import { writeFolderAtomic } from '../util/atomic-write';
import { loadModel, writeModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights } from '../model/weights';
import { TeacherEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { ArchitectureSpec } from '../architecture/types';
import { evaluateAccuracy } from '../train/loop';
import { errorMessage, UserError } from '../util/errors';
import { PytorchEvaluator } from '../evaluation/pytorch/evaluator';
import { datasetFor, epochLine, fit, optimiser, RunData } from './fit';
import { SearchHooks } from './search';

type TeacherMeasure = Pick<TeacherEvent, 'accuracy' | 'params' | 'trained' | 'seconds'>;

/** Trains the teacher from scratch with cross-entropy and keeps its best epoch in `outDir`. */
export async function trainTeacher(spec: ArchitectureSpec, outDir: string, dataset: RunData, settings: SearchSettings, hooks: SearchHooks, signal?: AbortSignal, pytorch?: PytorchEvaluator): Promise<TeacherMeasure> {
  const started = performance.now();
  const seed = derivedSeed(settings.seed, 'teacher');
  if (pytorch) {
    hooks.log?.(`training the teacher ${spec.name} on ${dataset.name} for ${settings.teacherEpochs} epochs with PyTorch (no --teacher-weights given)`);
    const result = await pytorch.fit({ spec, out: outDir, epochs: settings.teacherEpochs, seed, ...optimiser(settings), record: { ...optimiser(settings), seed } }, signal, (e) => hooks.log?.(epochLine(e, settings.teacherEpochs)));
    if (result.status !== 'ok') throw new Error(`training the teacher failed: ${result.reason}`);
    return { accuracy: result.accuracy, params: result.params, trained: true, seconds: (performance.now() - started) / 1000 };
  }
  const data = await datasetFor(dataset);
  hooks.log?.(`training the teacher ${spec.name} on ${data.name} for ${settings.teacherEpochs} epochs (no --teacher-weights given)`);
  const result = await fit(spec, data, settings.teacherEpochs, seed, settings, hooks, signal);
  writeModel(outDir, result.model);
  return { accuracy: result.accuracy, params: result.params, trained: true, seconds: (performance.now() - started) / 1000 };
}

/** Measures the user's teacher weights on the validation split and copies them into the run. */
export async function measureTeacher(spec: ArchitectureSpec, weightsDir: string, outDir: string, dataset: RunData): Promise<TeacherMeasure> {
  const started = performance.now();
  const loaded = loadModel(weightsDir);
  let net: Network;
  try {
    net = new Network(spec, loaded.weights);
  } catch (err) {
    throw new UserError(`${weightsDir}: these weights do not fit the teacher spec ${spec.name}: ${errorMessage(err)}`);
  } finally {
    disposeWeights(loaded.weights);
  }
  try {
    const data = await datasetFor(dataset);
    const accuracy = await evaluateAccuracy(net, data.validation, data);
    writeFolderAtomic(outDir, (temporary) => cpSync(weightsDir, temporary, { recursive: true }));
    return { accuracy, params: net.params, trained: false, seconds: (performance.now() - started) / 1000 };
  } finally {
    net.dispose();
  }
}
