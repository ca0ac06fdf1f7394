// The teacher of a run, before the search: trained from scratch, or measured on the user's weights.
import { countOf } from '../../protocol/format';
import { cpSync } from 'node:fs';
import { writeFolderAtomic } from '../util/atomic-write';
import { loadModel, writeModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights } from '../model/weights';
import { TeacherEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { ArchitectureSpec } from '../architecture/types';
import { EpochReport, evaluateAccuracy } from '../train/loop';
import { errorMessage, UserError } from '../util/errors';
import { PytorchEvaluator } from '../evaluation/pytorch/evaluator';
import { datasetFor, epochLine, fit, optimiser, RunData } from './fit';
import { RunProgress } from './progress';
import { SearchHooks } from './search';

export interface TeacherTraining {
  /** Where the trainer (local or PyTorch, each in its own format) keeps its checkpoint; absent: none. */
  checkpointDir?: string;
  progress?: RunProgress;
  signal?: AbortSignal;
  /** Train with these PyTorch workers instead of the local trainer. */
  pytorch?: PytorchEvaluator;
}

type TeacherMeasure = Pick<TeacherEvent, 'accuracy' | 'params' | 'trained' | 'seconds'>;

/**
 * Trains the teacher from scratch with cross-entropy and keeps its best epoch in `outDir`. Either
 * trainer checkpoints every epoch into `checkpointDir`, and a training stopped there goes on at
 * the next epoch.
 */
export async function trainTeacher(spec: ArchitectureSpec, outDir: string, dataset: RunData, settings: SearchSettings, hooks: SearchHooks, options: TeacherTraining = {}): Promise<TeacherMeasure> {
  const { checkpointDir, progress, signal, pytorch } = options;
  const started = performance.now();
  const seed = derivedSeed(settings.seed, 'teacher');
  const epochs = settings.teacherEpochs;
  const onEpoch = (e: EpochReport) => {
    hooks.log?.(epochLine(e, epochs));
    progress?.epochEnded(e);
  };
  let held: EpochReport[] = [];
  const resumed = (done: EpochReport[]) => {
    held = done;
    hooks.log?.(`resuming the teacher's training at epoch ${done.length + 1}/${epochs}: epochs 1-${done.length} are in its checkpoint`);
    progress?.teacherStarts(spec.name, done);
  };
  // This process's time plus the epochs a checkpoint brought from before a resume.
  const seconds = () => (performance.now() - started) / 1000 + held.reduce((sum, e) => sum + e.seconds, 0);
  const ignored = (why: string) => hooks.log?.(`not resuming the teacher's training from its checkpoint: ${why}`);
  if (pytorch) {
    hooks.log?.(`training the teacher ${spec.name} on ${dataset.name} for ${countOf(epochs, 'epoch')} with PyTorch (no --teacher-weights given)`);
    progress?.teacherStarts(spec.name, []);
    const job = { spec, out: outDir, epochs, seed, ...optimiser(settings), record: { ...optimiser(settings), seed }, ...(checkpointDir && { checkpoint: checkpointDir }) };
    const result = await pytorch.fit(job, signal, onEpoch, (note) => ('resumed' in note ? resumed(note.resumed) : ignored(note.ignored)));
    if (result.status !== 'ok') throw new Error(`training the teacher failed: ${result.reason}`);
    return { accuracy: result.accuracy, params: result.params, trained: true, seconds: seconds() };
  }
  const data = await datasetFor(dataset);
  hooks.log?.(`training the teacher ${spec.name} on ${data.name} for ${countOf(epochs, 'epoch')} (no --teacher-weights given)`);
  progress?.teacherStarts(spec.name, []);
  const result = await fit(spec, data, epochs, seed, settings, {
    signal,
    onEpoch,
    ...(checkpointDir && { checkpoint: { dir: checkpointDir, resumed, ignored } }),
  });
  writeModel(outDir, result.model);
  return { accuracy: result.accuracy, params: result.params, trained: true, seconds: seconds() };
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
