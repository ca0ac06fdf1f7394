// What "Compress architecture" asks, what it remembers between runs, and the esnac/startSearch
// request the answers make. Pure, so the mapping is tested without VS Code.
import { isDeepStrictEqual } from 'node:util';
import { basename, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { SearchSettings, SpeedResult, StartSearchParams } from '../protocol';
import { DEFAULT_EVALUATOR } from '../engine/evaluation/settings';
import { DEFAULT_SETTINGS } from '../engine/run/settings';
import { estimate, plannedRates, runPlan } from '../engine/search/progress';
import { defaultRunDirectory } from '../engine/run/run-directory';
import { DEFAULT_ESNAC_SETTINGS, EsnacSettings } from './settings';

type Evaluator = SearchSettings['evaluator'];

export type DatasetKind = 'mnist' | 'fashion-mnist' | 'cifar10' | 'cifar100' | 'folder' | 'npz';

/** The embedded MNIST digits need no folder; the others read their files from `dir` (for npz, the .npz file). */
export type DatasetChoice = { kind: 'mnist' } | { kind: Exclude<DatasetKind, 'mnist'>; dir: string };

/** How long a run trains: the search budget, and (from a preset or the Advanced path) the rest. */
export type Budget = Pick<SearchSettings, 'steps' | 'kernels' | 'epochs' | 'method'> &
  Partial<Pick<SearchSettings, 'teacherEpochs' | 'finetuneTop' | 'finetuneEpochs' | 'limitTrain' | 'limitValidation' | 'objective'>>;

export interface CompressAnswers {
  dataset: DatasetChoice;
  /** A folder written by `esnac train`; absent: the engine trains the teacher first. */
  teacherWeights?: string;
  budget: Budget;
  /** Who trains, when chosen on the Advanced path; absent: esnac.evaluator.kind. */
  trainer?: 'pytorch' | 'local';
}

/** Run sizes to choose from, smallest first; the last is the paper's (DEFAULT_SETTINGS). */
export const PRESETS: { label: string; detail: string; budget: Budget }[] = [
  {
    label: 'Quick look',
    detail: 'a first answer in minutes: 2 steps x 4 candidates of 1 epoch, teacher 2 epochs, 2,048 training examples',
    budget: { steps: 2, kernels: 4, epochs: 1, method: 'bo', teacherEpochs: 2, finetuneTop: 1, finetuneEpochs: 1, limitTrain: 2048, limitValidation: 512 },
  },
  {
    label: 'Standard',
    detail: '8 steps x 4 candidates of 3 epochs, teacher 5 epochs, the top 2 fine-tuned 5 epochs, all the data',
    budget: { steps: 8, kernels: 4, epochs: 3, method: 'bo', teacherEpochs: 5, finetuneTop: 2, finetuneEpochs: 5, limitTrain: 0, limitValidation: 0 },
  },
  {
    label: `Paper: ${DEFAULT_SETTINGS.steps} steps x ${DEFAULT_SETTINGS.kernels}, ${DEFAULT_SETTINGS.epochs} epochs`,
    detail: `the authors' budget: teacher ${DEFAULT_SETTINGS.teacherEpochs} epochs, the top ${DEFAULT_SETTINGS.finetuneTop} fine-tuned ${DEFAULT_SETTINGS.finetuneEpochs} epochs, all the data`,
    budget: {
      steps: DEFAULT_SETTINGS.steps,
      kernels: DEFAULT_SETTINGS.kernels,
      epochs: DEFAULT_SETTINGS.epochs,
      method: DEFAULT_SETTINGS.method,
      teacherEpochs: DEFAULT_SETTINGS.teacherEpochs,
      finetuneTop: DEFAULT_SETTINGS.finetuneTop,
      finetuneEpochs: DEFAULT_SETTINGS.finetuneEpochs,
      limitTrain: 0,
      limitValidation: 0,
    },
  },
];

/**
 * Seconds a run of this budget takes at the measured speed: the run's own estimate (engine/search/
 * progress.ts) from nothing done, priced at the rates the measurement gives for the examples the
 * run trains and validates on: teacher epochs, candidates' distillation, the BO steps' kernel
 * fits, fine-tuning. Settings the budget leaves out are the run's defaults.
 */
export function budgetSeconds(budget: Budget, speed: SpeedResult, trainsTeacher: boolean, workers: number): number {
  const settings = { ...DEFAULT_SETTINGS, ...Object.fromEntries(Object.entries(budget).filter(([, value]) => value !== undefined)) };
  const limited = (limit: number, count: number) => (limit > 0 ? Math.min(limit, count) : count);
  const examples = { train: limited(settings.limitTrain, speed.trainExamples), validation: limited(settings.limitValidation, speed.validationExamples) };
  const plan = runPlan(settings, { trainsTeacher, finetunes: true }, workers > 0 ? workers : speed.cores);
  return estimate(plan, { teacherEpochs: 0, candidates: 0, kernelFits: 0, finetuneEpochs: 0 }, plannedRates(speed, settings, examples)).etaSeconds ?? 0;
}

/** The answers kept in workspaceState, offered first the next time. */
export interface RememberedAnswers {
  dataset?: DatasetKind;
  folders: Partial<Record<Exclude<DatasetKind, 'mnist'>, string>>;
  /** Per teacher file: the weights folder last used, or null for "train the teacher first". */
  teacherWeights: Record<string, string | null>;
  budget?: CompressAnswers['budget'];
}

export const NOTHING_REMEMBERED: RememberedAnswers = { folders: {}, teacherWeights: {} };

/** The dataset name the engine parses (engine/data/names.ts). */
export function datasetArgument(choice: DatasetChoice): string {
  return choice.kind === 'mnist' ? 'mnist' : `${choice.kind}:${choice.dir}`;
}

/** The folder the settings give for a dataset kind ('' when none). */
export function configuredFolder(settings: EsnacSettings, kind: Exclude<DatasetKind, 'mnist'>): string {
  return { 'fashion-mnist': settings.datasets.fashionMnist, cifar10: settings.datasets.cifar10, cifar100: settings.datasets.cifar100, folder: '', npz: '' }[kind];
}

/** The answers' effect on what is remembered for the next run. */
export function remember(previous: RememberedAnswers, teacherPath: string, answers: CompressAnswers): RememberedAnswers {
  const { dataset } = answers;
  return {
    dataset: dataset.kind,
    folders: dataset.kind === 'mnist' ? previous.folders : { ...previous.folders, [dataset.kind]: dataset.dir },
    teacherWeights: { ...previous.teacherWeights, [teacherPath]: answers.teacherWeights ?? null },
    budget: answers.budget,
  };
}

/** A whole number >= min (1 unless given), or the reason the text is not one (for an input box's validation). */
export function parseCount(text: string, min = 1): number | string {
  const value = Number(text.trim());
  return /^\d+$/.test(text.trim()) && value >= min ? value : `a whole number, at least ${min}`;
}

/** The spec's name and candidate origin, read leniently (JSON is YAML); undefined parts when absent. */
export function specIdentity(text: string): { name?: string; teacher?: string; teacherPath?: string } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return {};
  }
  const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined);
  const asText = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const candidate = field(doc, 'candidate');
  return { name: asText(field(doc, 'name')), teacher: asText(field(candidate, 'teacher')), teacherPath: asText(field(candidate, 'teacherPath')) };
}

/** A spec file's name without its `.arch.<ext>` ending. */
export function specBaseName(path: string): string {
  return basename(path).replace(/\.arch\.(json|ya?ml)$/i, '');
}

/** The teacher a candidate's `candidate.teacherPath` names, as an absolute path. */
/**
 * A new run directory in the runs folder, named as the engine names its defaults
 * (<teacher>-<stamp>). The client picks it, so it knows which notifications are about this run
 * before the engine answers; the engine refuses a directory that exists.
 */
export function newRunDirectory(runsFolder: string, teacherName: string, now: Date): string {
  return join(runsFolder, basename(defaultRunDirectory(runsFolder, teacherName, now)));
}

export function startSearchParams(request: {
  teacher: string;
  answers: CompressAnswers;
  settings: EsnacSettings;
  runDir: string;
  workspaceRoot: string;
}): StartSearchParams & { runDir: string } {
  const { answers, settings } = request;
  return {
    teacher: request.teacher,
    dataset: datasetArgument(answers.dataset),
    ...(answers.teacherWeights ? { teacherWeights: answers.teacherWeights } : {}),
    runDir: request.runDir,
    workspaceRoot: request.workspaceRoot,
    settings: {
      ...answers.budget,
      ...(answers.trainer && { evaluator: { ...runEvaluator(settings.evaluator, request.workspaceRoot), kind: answers.trainer } }),
      ...(settings.workers > 0 ? { workers: settings.workers } : {}),
      ...(settings.preprocessing.normalise !== '' ? { normalise: settings.preprocessing.normalise } : {}),
      ...(settings.preprocessing.augment !== DEFAULT_ESNAC_SETTINGS.preprocessing.augment ? { augment: settings.preprocessing.augment } : {}),
      ...(answers.trainer || isDeepStrictEqual(settings.evaluator, DEFAULT_EVALUATOR) ? {} : { evaluator: runEvaluator(settings.evaluator, request.workspaceRoot) }),
    },
    ...(settings.backend === 'auto' ? {} : { backend: settings.backend }),
  };
}

/**
 * What a caller (a test, a task, another extension) may pass as the command's second argument
 * to start a search without the questions: `{ dataset, teacherWeights?, settings? }`. The
 * explorer passes the selected files (an array) there, which is not a request.
 */
export interface CompressRequest {
  dataset: string;
  teacherWeights?: string;
  settings?: Partial<SearchSettings>;
}

export function compressRequest(value: unknown): CompressRequest | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { dataset, teacherWeights, settings } = value as Record<string, unknown>;
  if (typeof dataset !== 'string') return undefined;
  return {
    dataset,
    ...(typeof teacherWeights === 'string' ? { teacherWeights } : {}),
    ...(typeof settings === 'object' && settings !== null && !Array.isArray(settings) ? { settings: settings as Partial<SearchSettings> } : {}),
  };
}

/** The search params of a request: the configured budget and evaluator, with its settings laid over them. */
export function requestedSearchParams(request: { teacher: string; given: CompressRequest; settings: EsnacSettings; runDir: string; workspaceRoot: string }): StartSearchParams & { runDir: string } {
  const { given, ...rest } = request;
  const base = startSearchParams({ ...rest, answers: { dataset: { kind: 'mnist' }, budget: request.settings.search } });
  return {
    ...base,
    dataset: given.dataset,
    ...(given.teacherWeights ? { teacherWeights: given.teacherWeights } : {}),
    settings: { ...base.settings, ...given.settings },
  };
}

/**
 * The evaluator block as the run records it: a relative job template resolved against the
 * workspace folder, since the engine's working directory is not the workspace's and a resumed
 * run must find it again. Empty stays empty: the engine's shipped template.
 */
function runEvaluator(evaluator: Evaluator, workspaceRoot: string): Evaluator {
  const { jobTemplate } = evaluator;
  return { ...evaluator, jobTemplate: jobTemplate === '' || isAbsolute(jobTemplate) ? jobTemplate : join(workspaceRoot, jobTemplate) };
}

/** A few words on who trains the candidates, for the questions' title; undefined for the built-in workers. */
export function evaluatorNote(evaluator: Evaluator): string | undefined {
  switch (evaluator.kind) {
    case 'auto':
    case 'local':
      return undefined;
    case 'pytorch':
      return 'candidates trained by PyTorch workers';
    case 'command':
      return 'candidates trained by esnac.evaluator.command';
    case 'slurm':
      return 'candidates trained as Slurm jobs';
  }
}
