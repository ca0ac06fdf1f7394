// `esnac compress` as a library call: prepares (or reopens) a run directory, makes sure the
// teacher has weights and a measured accuracy, runs the search steps with the local training
// pool, then fine-tunes the best candidates and writes the best student. The CLI, the language
// server and tests call this.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { version_core as tfjsVersion } from '@tensorflow/tfjs-core';
import { BackendName, initBackend } from '../backend';
import { DATASET_FORMS_HELP, Dataset, describeDataset, ImageShape, loadDataset, parseDatasetName } from '../data';
import { checkedEvaluatorSettings, startEvaluator } from '../evaluation';
import { chooseEvaluator, EvaluatorChoice, poolLayout } from '../evaluation/choice';
import { exportDataset } from '../evaluation/inputs';
import { PytorchEvaluator } from '../evaluation/pytorch/evaluator';
import { PytorchPool } from '../evaluation/pytorch/pool';
import { candidateTraining } from '../evaluation/local/candidate';
import { EvaluatorSettings, evaluatorSettings } from '../evaluation/settings';
import { TeacherEvent } from '../run/journal';
import { BestStudent, bestStudent, PARETO_FOLDER, runFront } from '../run/report';
import { defaultRunDirectory, RUN_FORMAT, RunDirectory, RunManifest, TEACHER_SPEC } from '../run/run-directory';
import { RunLock } from '../run/lock';
import { DEFAULT_SETTINGS, SearchSettings } from '../run/settings';
import { readModel } from '../model/io';
import { buildSearchSpace } from '../space/space';
import { loadSpecFile } from '../architecture/validate';
import { ArchitectureSpec } from '../architecture/types';
import { specToText } from '../architecture/write';
import { BiLstmJSON } from '../bo';
import { removeTemporaries } from '../util/atomic-write';
import { UserError } from '../util/errors';
import { OpenLatency, openLatency } from '../latency';
import { needsLatency, runCosts } from './costs';
import { choosePreprocessing, runLoadOptions } from './dataset';
import { BEST_SPEC, finetuneCandidate, finishRun, measureOnTestSplit } from './finish';
import { RunData } from './fit';
import { kernelTransfer, readTransferredKernels, recordedKernels, SavedKernel, TRANSFERRED_KERNELS } from './transfer';
import { runSearchSteps, SearchHooks } from './search';
import { RunProgress } from './progress';
import { measureTeacher, trainTeacher } from './teacher';

export interface CompressOptions {
  /** The teacher spec file (not needed with `resume`). */
  teacherPath?: string;
  /** A dataset name as loadDataset takes it (engine/data/names.ts: mnist, folder:DIR, npz:FILE...). */
  dataset?: string;
  /** A folder of trained teacher weights; without it the teacher is trained first. */
  teacherWeights?: string;
  /** A new run directory; default esnac-runs/<teacher>-<stamp> under the workspace root. */
  runDir?: string;
  /** An existing run directory to continue; its run.json decides everything else but `changes`. */
  resume?: string;
  /** With `resume`: what may change when a run goes on. */
  changes?: ResumeChanges;
  settings?: Partial<SearchSettings>;
  backend?: BackendName | 'auto';
  /** Kernel transfer: propose with the kernels saved by another run, without fitting any. */
  kernelsFrom?: string;
  /** Where default run directories go (default: the current directory). */
  workspaceRoot?: string;
}

/** What a resumed run may change: how its candidates are run and for how long, not what it searches. */
export interface ResumeChanges {
  workers?: number;
  budgetMinutes?: number;
  evaluator?: Partial<Pick<EvaluatorSettings, 'command' | 'shell' | 'jobTemplate' | 'timeoutMinutes' | 'retries' | 'pollSeconds'>>;
}

export interface CompressHooks extends SearchHooks {
  /** The run directory, as soon as it exists. */
  runDirectory?(dir: string): void;
}

export interface CompressResult {
  runDir: string;
  best?: BestStudent;
  /** The Pareto front of the objective's cost against accuracy: names, cheapest first (specs in pareto/). */
  front?: string[];
  cancelled: boolean;
}

const TEACHER_WEIGHTS = 'teacher.weights';
/** The teacher's training state after its last epoch, while it trains (removed once it is in the journal). */
export const TEACHER_CHECKPOINT = 'teacher.checkpoint';

export async function compress(options: CompressOptions, hooks: CompressHooks = {}, signal?: AbortSignal): Promise<CompressResult> {
  // Every input is checked before anything is created or started, so a bad one leaves nothing running.
  const savedKernels = options.kernelsFrom === undefined || options.resume ? undefined : readTransferredKernels(options.kernelsFrom);
  const created = options.resume ? undefined : await createRun(options, savedKernels, hooks);
  const opened = created?.run ?? RunDirectory.open(options.resume!);
  const lock = RunLock.acquire(opened.dir);
  try {
    const run = options.changes ? changed(opened, options.changes, hooks) : opened;
    const kernels = created ? savedKernels : resumedKernels(run, options.kernelsFrom, hooks);
    return await searchAndFinish(run, options.changes?.evaluator ? undefined : created?.choice, options, kernels?.map((k) => k.embedding), hooks, signal);
  } finally {
    lock.release();
  }
}

/** The kernels a resumed run proposes with: the copies of those it was created with, never others. */
function resumedKernels(run: RunDirectory, kernelsFrom: string | undefined, hooks: CompressHooks): SavedKernel[] | undefined {
  const recorded = run.manifest.kernelsFrom;
  if (kernelsFrom !== undefined && resolve(kernelsFrom) !== recorded?.run) {
    const own = recorded ? `proposes with the kernels of ${recorded.run}` : 'fits kernels of its own';
    throw new UserError(`${run.dir} ${own} (run.json): --kernels-from ${kernelsFrom} cannot change that on resume`);
  }
  if (!recorded) return undefined;
  const { saved, warning } = recordedKernels(run.path(TRANSFERRED_KERNELS), recorded);
  if (warning) hooks.log?.(`warning: ${warning}`);
  return saved;
}

/** The run with what a resume changes, checked and recorded in run.json. */
function changed(run: RunDirectory, changes: ResumeChanges, hooks: CompressHooks): RunDirectory {
  const before = run.manifest.settings;
  const evaluatorBefore = evaluatorSettings(before.evaluator);
  const settings: SearchSettings = {
    ...before,
    ...(changes.workers !== undefined && { workers: changes.workers }),
    ...(changes.budgetMinutes !== undefined && { budgetMinutes: changes.budgetMinutes }),
    evaluator: checkedEvaluatorSettings({ ...evaluatorBefore, ...changes.evaluator }),
  };
  if (changes.evaluator && settings.evaluator.kind === 'local') {
    throw new UserError(`${run.dir} trains its candidates with the local workers: evaluator options (${Object.keys(changes.evaluator).join(', ')}) do not apply to it`);
  }
  const said = (value: unknown) => JSON.stringify(value);
  const differences = [
    ...(['workers', 'budgetMinutes'] as const).filter((k) => settings[k] !== before[k]).map((k) => `${k} ${said(before[k])} -> ${said(settings[k])}`),
    ...(Object.keys(settings.evaluator) as (keyof EvaluatorSettings)[]).filter((k) => settings.evaluator[k] !== evaluatorBefore[k]).map((k) => `evaluator ${k} ${said(evaluatorBefore[k])} -> ${said(settings.evaluator[k])}`),
  ];
  if (differences.length === 0) return run;
  hooks.log?.(`resuming with ${differences.join(', ')}`);
  return run.withSettings(settings);
}

/** The search on a run folder this process holds the lock of. */
async function searchAndFinish(run: RunDirectory, chosen: EvaluatorChoice | undefined, options: CompressOptions, transferred: BiLstmJSON[] | undefined, hooks: CompressHooks, signal?: AbortSignal): Promise<CompressResult> {
  hooks.runDirectory?.(run.dir);
  const { manifest } = run;
  const settings = manifest.settings;
  const backend = await initBackend(options.backend ?? (manifest.backend as BackendName | 'auto'));
  hooks.log?.(`backend: ${backend.detail}${backend.skipped.map((s) => `; ${s.name} not used: ${s.reason}`).join('')}`);
  const choice = chosen ?? (await chooseEvaluator(checkedEvaluatorSettings(settings.evaluator)));
  hooks.log?.(`evaluator: ${choice.used}: ${choice.why}`);
  run.journal.repairTornTail();
  for (const folder of ['', 'candidates', 'kernels', PARETO_FOLDER].filter((f) => existsSync(run.path(f)))) {
    for (const left of removeTemporaries(run.path(folder))) hooks.log?.(`removed ${join(folder, left)}, left by a write that a crash interrupted`);
  }
  const teacherSpec = await loadSpecFile(run.path(manifest.teacher.spec));
  const data: RunData = { name: manifest.dataset, load: runLoadOptions(manifest, teacherSpec.input) };
  if (options.resume) checkDatasetFits(teacherSpec, manifest.dataset, await loadDataset(data.name, data.load));
  const external = choice.used === 'command' || choice.used === 'slurm';
  const progress = new RunProgress(settings, { trainsTeacher: !manifest.teacher.weights, finetunes: !external }, () => run.journal.read(), hooks.progress);
  let pytorch: PytorchEvaluator | undefined;
  let latency: OpenLatency | undefined;
  try {
    if (choice.used === 'pytorch') pytorch = await startPytorch(run, choice, data, hooks);
    const teacher = await prepareTeacher(run, teacherSpec, data, hooks, progress, signal, pytorch);
    // Before any training starts: the teacher's latency is timed on an idle machine.
    if (needsLatency(settings.objective, settings.budgets)) latency = await openLatency(settings.latency, run.dir, { ...(choice.torch && { torch: choice.torch }), python: settings.evaluator.python, autocast: settings.evaluator.autocast });
    if (latency) hooks.log?.(`latency: ${latency.meter.label}`);
    const costs = await runCosts(settings, teacherSpec, latency, signal);
    if (!run.journal.read().some((e) => e.type === 'costs')) {
      const { params, macs, latency: teacherLatency } = costs.teacher;
      run.journal.append({ type: 'costs', teacher: { params, macs, ...(teacherLatency && { latency: teacherLatency }) }, ...(latency && { meter: latency.meter.label }) });
    }
    if (costs.teacher.latency) hooks.log?.(`teacher latency ${costs.teacher.latency.ms.toFixed(3)} ms (noise ${costs.teacher.latency.noiseMs.toFixed(3)} ms)`);
    const space = buildSearchSpace(teacherSpec, settings.operators);
    pytorch?.useTeacher({ teacherWeights: run.path(teacher.weights), training: candidateTraining(settings) });
    const pool =
      pytorch ??
      (await startEvaluator({
        runDir: run.dir,
        dataset: manifest.dataset,
        load: data.load,
        settings: { ...settings, evaluator: { ...settings.evaluator, kind: choice.used } },
        teacherSpec: run.path(manifest.teacher.spec),
        teacherWeights: run.path(teacher.weights),
        backend: backend.name,
      }));
    try {
      await runSearchSteps({ run, space, teacher, costs, evaluator: pool, transferred, hooks, progress, signal });
    } finally {
      // The PyTorch pool fine-tunes too: it closes at the end.
      if (!pytorch) await pool.close();
    }
    const tuner = pytorch;
    const done = await finishRun({
      run,
      teacher,
      costs,
      loadSpec: loadSpecFile,
      finetune: external ? undefined : (request, s, onEpoch) => finetuneCandidate(request, data, settings, s, tuner, onEpoch),
      test: (requests, s) => measureOnTestSplit(requests, data, s),
      hooks,
      progress,
      signal,
    });
    progress.done(done && { name: done.best, f: done.f });
    const front = runFront(run.journal.read(), settings.objective).candidates.map((c) => c.event.name);
    const best = done && bestStudent(run.journal.read(), () => run.path(BEST_SPEC));
    return { runDir: run.dir, cancelled: false, ...(best ? { best, front } : {}) };
  } catch (err) {
    if (signal?.aborted) {
      hooks.log?.(`cancelled: resume with esnac compress --resume ${run.dir}`);
      return { runDir: run.dir, cancelled: true };
    }
    throw err;
  } finally {
    await Promise.all([pytorch?.close(), latency?.meter.close?.()]);
  }
}

/** The PyTorch workers, on the run's dataset exported once into RUN/dataset. */
async function startPytorch(run: RunDirectory, choice: EvaluatorChoice, data: RunData, hooks: CompressHooks): Promise<PytorchEvaluator> {
  const { settings } = run.manifest;
  const dataset = await exportDataset(data.name, data.load, run.path('dataset'));
  const layout = poolLayout(choice.torch!, settings.workers);
  const pool = await PytorchPool.start({ python: choice.torch!.python, dataset, ...layout, autocast: settings.evaluator.autocast });
  hooks.log?.(`PyTorch workers: ${layout.workers} x ${pool.detail}`);
  return new PytorchEvaluator(pool);
}

async function createRun(options: CompressOptions, savedKernels: SavedKernel[] | undefined, hooks: CompressHooks): Promise<{ run: RunDirectory; choice: EvaluatorChoice }> {
  if (!options.teacherPath) throw new UserError('compress needs a teacher spec file (or --resume RUN_DIR)');
  if (!options.dataset) throw new UserError(`compress needs --dataset: ${DATASET_FORMS_HELP}`);
  parseDatasetName(options.dataset);
  const teacher = await loadSpecFile(options.teacherPath);
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, ...options.settings, evaluator: checkedEvaluatorSettings(options.settings?.evaluator) };
  if (options.teacherWeights && !existsSync(join(options.teacherWeights, 'model.json'))) {
    throw new UserError(`${options.teacherWeights}: no model.json (expected a folder written by 'esnac train')`);
  }
  const teacherNormalisation = options.teacherWeights ? readModel(options.teacherWeights).normalisation : undefined;
  const chosen = await choosePreprocessing(options.dataset, settings, options.settings?.normalise !== undefined, teacher.input, teacherNormalisation);
  checkDatasetFits(teacher, options.dataset, chosen.data);
  hooks.log?.(`dataset ${describeDataset(chosen.data)}`);
  if (chosen.warning) hooks.log?.(`warning: ${chosen.warning}`);
  const backend = await initBackend(options.backend ?? 'auto');
  const choice = await chooseEvaluator(settings.evaluator);
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
    preprocessing: chosen.preprocessing,
    settings,
    backend: options.backend ?? 'auto',
    versions: {
      esnac: packageVersion(),
      tfjs: tfjsVersion,
      node: process.version,
      backendUsed: backend.name,
      evaluatorUsed: choice.used,
      evaluatorChoice: choice.why,
      ...(choice.torch ? { torch: choice.torch.torch, python: choice.torch.python } : {}),
    },
    ...(savedKernels && { kernelsFrom: kernelTransfer(options.kernelsFrom!, savedKernels) }),
  };
  const dir = options.runDir ?? defaultRunDirectory(options.workspaceRoot ?? process.cwd(), teacher.name, new Date());
  const copies = Object.fromEntries((savedKernels ?? []).map((k) => [join(TRANSFERRED_KERNELS, basename(k.file)), k.text]));
  return { run: RunDirectory.create(dir, manifest, specToText(teacher, 'yaml'), copies), choice };
}

/** Checks, before a run folder is made or anything trains, that the teacher fits the dataset. */
function checkDatasetFits(teacher: ArchitectureSpec, dataset: string, data: Pick<Dataset, 'name' | 'input' | 'classes'>): void {
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
async function prepareTeacher(run: RunDirectory, spec: ArchitectureSpec, data: RunData, hooks: CompressHooks, progress: RunProgress, signal?: AbortSignal, pytorch?: PytorchEvaluator): Promise<TeacherEvent> {
  const existing = run.journal.read().find((e): e is TeacherEvent => e.type === 'teacher');
  if (existing) return existing;
  const { manifest } = run;
  const given = manifest.teacher.weights;
  // Weights without a journal entry are from an attempt that stopped before it ended: redo it.
  rmSync(run.path(TEACHER_WEIGHTS), { recursive: true, force: true });
  const event = given
    ? await measureTeacher(spec, given, run.path(TEACHER_WEIGHTS), data)
    : await trainTeacher(spec, run.path(TEACHER_WEIGHTS), data, manifest.settings, hooks, { checkpointDir: run.path(TEACHER_CHECKPOINT), progress, signal, pytorch });
  if (!(event.accuracy > 0)) {
    const how = given ? `the weights ${given} may not be trained for ${manifest.dataset}` : `train it for more epochs (--teacher-epochs, now ${manifest.settings.teacherEpochs}) or on more examples`;
    throw new UserError(`the teacher ${spec.name} scores ${(100 * event.accuracy).toFixed(2)}% on the validation split of ${manifest.dataset}: candidates cannot be measured against it (f divides by its accuracy); ${how}`);
  }
  const teacher: TeacherEvent = { type: 'teacher', ...event, weights: TEACHER_WEIGHTS };
  run.journal.append(teacher);
  rmSync(run.path(TEACHER_CHECKPOINT), { recursive: true, force: true });
  hooks.log?.(`teacher ${spec.name}: accuracy ${(100 * teacher.accuracy).toFixed(2)}%, ${teacher.params} params`);
  return teacher;
}

function packageVersion(): string {
  for (const candidate of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', 'package.json')]) {
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
