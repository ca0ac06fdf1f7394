// `esnac compress` as a library call: prepares (or reopens) a run directory, makes sure the
// teacher has weights and a measured accuracy, runs the search steps with the local training
// pool, then fine-tunes the best candidates and writes the best student. The CLI, the language
// server and tests call this.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { version_core as tfjsVersion } from '@tensorflow/tfjs-core';
import { BackendName, initBackend } from '../backend';
import { ImageShape, loadDataset, parseDatasetName } from '../data';
import { checkedEvaluatorSettings, isExternal, startExternalEvaluator } from '../evaluation';
import { TeacherEvent } from '../run/journal';
import { defaultRunDirectory, RUN_FORMAT, RunDirectory, RunManifest, TEACHER_SPEC } from '../run/run-directory';
import { RunLock } from '../run/lock';
import { DEFAULT_SETTINGS, SearchSettings } from '../run/settings';
import { buildSearchSpace } from '../space/space';
import { loadSpecFile } from '../architecture/validate';
import { ArchitectureSpec } from '../architecture/types';
import { specToText } from '../architecture/write';
import { readModel } from '../model/io';
import { WorkerPool } from '../evaluation/local/pool';
import { removeTemporaries } from '../util/atomic-write';
import { UserError } from '../util/errors';
import { finishRun } from './finish';
import { BiLstmJSON } from '../bo';
import { readTransferredKernels } from './transfer';
import { runSearchSteps, SearchHooks } from './search';
import { finetuneCandidate, measureTeacher, trainTeacher } from './teacher';

export interface CompressOptions {
  /** The teacher spec file (not needed with `resume`). */
  teacherPath?: string;
  /** A dataset name as loadDataset takes it: mnist, fashion-mnist[:DIR], cifar10:DIR... */
  dataset?: string;
  /** A folder of trained teacher weights; without it the teacher is trained first. */
  teacherWeights?: string;
  /** A new run directory; default esnac-runs/<teacher>-<stamp> under the workspace root. */
  runDir?: string;
  /** An existing run directory to continue; its run.json decides everything else. */
  resume?: string;
  settings?: Partial<SearchSettings>;
  backend?: BackendName | 'auto';
  /** Kernel transfer: propose with the kernels saved by another run, without fitting any. */
  kernelsFrom?: string;
  /** Where default run directories go (default: the current directory). */
  workspaceRoot?: string;
}

export interface CompressHooks extends SearchHooks {
  /** The run directory, as soon as it exists. */
  runDirectory?(dir: string): void;
}

export interface CompressResult {
  runDir: string;
  best?: { name: string; spec: string; f: number; accuracy: number; params: number };
  cancelled: boolean;
}

const TEACHER_WEIGHTS = 'teacher.weights';

export async function compress(options: CompressOptions, hooks: CompressHooks = {}, signal?: AbortSignal): Promise<CompressResult> {
  // Every input is checked before anything is created or started, so a bad one leaves nothing running.
  const transferred = options.kernelsFrom === undefined ? undefined : readTransferredKernels(options.kernelsFrom);
  const run = options.resume ? RunDirectory.open(options.resume) : await createRun(options);
  const lock = RunLock.acquire(run.dir);
  try {
    return await searchAndFinish(run, options, transferred, hooks, signal);
  } finally {
    lock.release();
  }
}

/** The search on a run folder this process holds the lock of. */
async function searchAndFinish(run: RunDirectory, options: CompressOptions, transferred: BiLstmJSON[] | undefined, hooks: CompressHooks, signal?: AbortSignal): Promise<CompressResult> {
  hooks.runDirectory?.(run.dir);
  const { manifest } = run;
  const settings = manifest.settings;
  const backend = await initBackend(options.backend ?? (manifest.backend as BackendName | 'auto'));
  hooks.log?.(`backend: ${backend.detail}${backend.skipped.map((s) => `; ${s.name} not used: ${s.reason}`).join('')}`);
  run.journal.repairTornTail();
  for (const folder of ['', 'candidates', 'kernels']) {
    for (const left of removeTemporaries(run.path(folder))) hooks.log?.(`removed ${join(folder, left)}, left by a write that a crash interrupted`);
  }
  const teacherSpec = await loadSpecFile(run.path(manifest.teacher.spec));
  if (options.resume) await checkDatasetFits(teacherSpec, manifest.dataset, settings);
  try {
    const teacher = await prepareTeacher(run, teacherSpec, hooks, signal);
    const space = buildSearchSpace(teacherSpec, settings.operators);
    const external = isExternal(settings);
    const pool = external
      ? await startExternalEvaluator({ runDir: run.dir, dataset: manifest.dataset, settings, teacherSpec: run.path(manifest.teacher.spec), teacherWeights: run.path(teacher.weights) })
      : await WorkerPool.start({
      setup: {
        backend: backend.name,
        dataset: manifest.dataset,
        ...limits(settings),
        teacher: readModel(run.path(teacher.weights)),
        training: {
          epochs: settings.epochs,
          batchSize: settings.batchSize,
          learningRate: settings.learningRate,
          weightDecay: settings.weightDecay,
          distillation: settings.distillation === 'kl' ? { kind: 'kl', temperature: settings.temperature } : { kind: 'mse' },
          inherit: settings.inheritWeights,
          seed: settings.seed,
        },
      },
      ...(settings.workers > 0 ? { workers: settings.workers } : {}),
    });
    try {
      await runSearchSteps({ run, space, teacher, evaluator: pool, transferred, hooks, signal });
    } finally {
      await pool.close();
    }
    const done = await finishRun({
      run,
      teacher,
      loadSpec: loadSpecFile,
      finetune: external ? undefined : (request, s) => finetuneCandidate(request, manifest.dataset, settings, s),
      hooks,
      signal,
    });
    hooks.progress?.({ phase: 'done', step: settings.steps, steps: settings.steps, evaluated: settings.steps * settings.kernels, total: settings.steps * settings.kernels, bestF: done?.f, best: done?.best });
    return { runDir: run.dir, cancelled: false, ...(done ? { best: bestOf(run, done.best) } : {}) };
  } catch (err) {
    if (signal?.aborted) {
      hooks.log?.(`cancelled: resume with esnac compress --resume ${run.dir}`);
      return { runDir: run.dir, cancelled: true };
    }
    throw err;
  }
}

async function createRun(options: CompressOptions): Promise<RunDirectory> {
  if (!options.teacherPath) throw new UserError('compress needs a teacher spec file (or --resume RUN_DIR)');
  if (!options.dataset) throw new UserError('compress needs --dataset (e.g. mnist, fashion-mnist, cifar10:DIR)');
  parseDatasetName(options.dataset);
  const teacher = await loadSpecFile(options.teacherPath);
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, ...options.settings, evaluator: checkedEvaluatorSettings(options.settings?.evaluator) };
  if (options.teacherWeights && !existsSync(join(options.teacherWeights, 'model.json'))) {
    throw new UserError(`${options.teacherWeights}: no model.json (expected a folder written by 'esnac train')`);
  }
  await checkDatasetFits(teacher, options.dataset, settings);
  const backend = await initBackend(options.backend ?? 'auto');
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    createdAt: new Date().toISOString(),
    teacher: {
      name: teacher.name,
      spec: TEACHER_SPEC,
      source: resolve(options.teacherPath),
      ...(options.teacherWeights ? { weights: resolve(options.teacherWeights) } : {}),
    },
    dataset: options.dataset,
    settings,
    backend: options.backend ?? 'auto',
    versions: { esnac: packageVersion(), tfjs: tfjsVersion, node: process.version, backendUsed: backend.name },
  };
  const dir = options.runDir ?? defaultRunDirectory(options.workspaceRoot ?? process.cwd(), teacher.name, new Date());
  return RunDirectory.create(dir, manifest, specToText(teacher, 'yaml'));
}

/** Loads the dataset once, before a run folder is made or anything trains, to check that the teacher fits it. */
async function checkDatasetFits(teacher: ArchitectureSpec, dataset: string, settings: SearchSettings): Promise<void> {
  const data = await loadDataset(dataset, limits(settings));
  const images = (s: ImageShape) => `${s.channels}x${s.height}x${s.width}`;
  const problems = [
    ...(images(teacher.input) !== images(data.input) ? [`takes ${images(teacher.input)} images, ${data.name} has ${images(data.input)}`] : []),
    ...(teacher.classes !== data.classes ? [`has ${teacher.classes} classes, ${data.name} has ${data.classes}`] : []),
  ];
  if (problems.length > 0) {
    throw new UserError(`the teacher ${teacher.name} does not fit the dataset ${dataset}: it ${problems.join('; it ')}. Use a teacher made for ${data.name} (esnac zoo writes some) or the dataset the teacher was made for`);
  }
}

/** The teacher's journal entry: measured on the given weights, or trained now. */
async function prepareTeacher(run: RunDirectory, spec: ArchitectureSpec, hooks: CompressHooks, signal?: AbortSignal): Promise<TeacherEvent> {
  const existing = run.journal.read().find((e): e is TeacherEvent => e.type === 'teacher');
  if (existing) return existing;
  const { manifest } = run;
  const given = manifest.teacher.weights;
  // Weights without a journal entry are from an attempt that stopped before it ended: redo it.
  rmSync(run.path(TEACHER_WEIGHTS), { recursive: true, force: true });
  const event = given
    ? await measureTeacher(spec, given, run.path(TEACHER_WEIGHTS), manifest.dataset, manifest.settings)
    : await trainTeacher(spec, run.path(TEACHER_WEIGHTS), manifest.dataset, manifest.settings, hooks, signal);
  if (!(event.accuracy > 0)) {
    const how = given ? `the weights ${given} may not be trained for ${manifest.dataset}` : `train it for more epochs (--teacher-epochs, now ${manifest.settings.teacherEpochs}) or on more examples`;
    throw new UserError(`the teacher ${spec.name} scores ${(100 * event.accuracy).toFixed(2)}% on the validation split of ${manifest.dataset}: candidates cannot be measured against it (f divides by its accuracy); ${how}`);
  }
  const teacher: TeacherEvent = { type: 'teacher', ...event, weights: TEACHER_WEIGHTS };
  run.journal.append(teacher);
  hooks.log?.(`teacher ${spec.name}: accuracy ${(100 * teacher.accuracy).toFixed(2)}%, ${teacher.params} params`);
  return teacher;
}

function limits(settings: SearchSettings): { limitTrain?: number; limitValidation?: number } {
  return {
    ...(settings.limitTrain > 0 ? { limitTrain: settings.limitTrain } : {}),
    ...(settings.limitValidation > 0 ? { limitValidation: settings.limitValidation } : {}),
  };
}

function bestOf(run: RunDirectory, name: string): CompressResult['best'] {
  const events = run.journal.read();
  const candidate = events.find((e) => e.type === 'candidate' && e.name === name);
  if (candidate?.type !== 'candidate') return undefined;
  return { name, spec: run.path('best.arch.yaml'), f: candidate.f!, accuracy: candidate.accuracy!, params: candidate.params };
}

function packageVersion(): string {
  for (const candidate of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', 'package.json')]) {
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
