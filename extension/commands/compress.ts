// "Compress architecture": asks, in numbered questions with a way back, for the dataset, the
// teacher's weights and the run's size (a preset with its time estimated on this machine, or the
// Advanced path), each offering the last answer first, then starts esnac/startSearch with the
// file as teacher.
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_FASHION_MNIST_DIR } from '../../engine/data/names';
import { settingsFor } from '../client';
import {
  Budget,
  budgetSeconds,
  CompressAnswers,
  compressRequest,
  datasetArgument,
  configuredFolder,
  DatasetChoice,
  DatasetKind,
  evaluatorNote,
  NOTHING_REMEMBERED,
  newRunDirectory,
  parseCount,
  PRESETS,
  remember,
  RememberedAnswers,
  requestedSearchParams,
  specBaseName,
  specIdentity,
  startSearchParams,
} from '../search-params';
import { withChosenPython } from '../python';
import { Searches } from '../searches';
import { EsnacSettings, runsFolderPath } from '../settings';
import type { Objective, SpeedResult } from '../../protocol';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { Engine } from '../client';
import { durationText, errorHeadline } from '../format';
import * as requests from '../requests';
import { askInTurn, BACK, Choice, pick, Place, Question, text } from './questions';
import { specTarget } from './target';

const REMEMBERED_KEY = 'esnac.compress.answers';

type FolderKind = Exclude<DatasetKind, 'mnist'>;

/** `options`: a CompressRequest skips the questions (see compressRequest). */
export async function compressArchitecture(arg: unknown, options: unknown, state: vscode.Memento, searches: Searches, engine: Engine, log: vscode.LogOutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const choice = await vscode.window.showWarningMessage('esnac: compressing trains networks as this workspace\'s files and settings say: trust the workspace first.', 'Manage Workspace Trust');
    if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const spec = specTarget(arg, 'Compress architecture');
  if (!spec) return;
  const document = await vscode.workspace.openTextDocument(spec);
  // The engine reads the teacher from disk. save() is false when the save failed or was refused
  // (VS Code in a browser auto-saves, and refuses a save that comes while its own runs): say so.
  if (document.isDirty && !(await document.save())) {
    void vscode.window.showErrorMessage(`esnac: ${vscode.workspace.asRelativePath(spec)} has changes that could not be saved just now, and the engine reads the teacher from disk: save it, then compress again.`);
    return;
  }
  const teacherName = specIdentity(document.getText()).name ?? specBaseName(spec.fsPath);
  const settings = await withChosenPython(settingsFor(spec), spec);
  const root = vscode.workspace.getWorkspaceFolder(spec)?.uri.fsPath ?? dirname(spec.fsPath);
  const runDir = newRunDirectory(runsFolderPath(settings, root), teacherName, new Date());
  const given = compressRequest(options);
  if (given) {
    const params = requestedSearchParams({ teacher: spec.fsPath, given, settings, runDir, workspaceRoot: root });
    log.info(`starting a requested search into ${runDir}: ${JSON.stringify(params)}`);
    void searches.start(params, teacherName);
    return;
  }
  const remembered = state.get<RememberedAnswers>(REMEMBERED_KEY) ?? NOTHING_REMEMBERED;
  const note = evaluatorNote(settings.evaluator);
  const measure = (dataset: string) => engine.request(requests.measureSpeed, { teacher: spec.fsPath, dataset, evaluator: settings.evaluator, ...(settings.backend === 'auto' ? {} : { backend: settings.backend }) });
  const answers = await ask(`Compress ${teacherName}${note ? ` (${note})` : ''}`, spec.fsPath, settings, remembered, measure);
  if (!answers) return;
  await state.update(REMEMBERED_KEY, remember(remembered, spec.fsPath, answers));
  const params = startSearchParams({ teacher: spec.fsPath, answers, settings, runDir, workspaceRoot: root });
  log.info(`starting a search into ${runDir}: ${JSON.stringify(params)}`);
  void searches.start(params, teacherName, settings.openDashboard);
}

interface Answers {
  dataset?: DatasetChoice;
  weights?: { folder?: string };
  /** A preset's index, or the Advanced path. */
  size?: number | 'advanced';
  budget?: Budget;
  trainer?: CompressAnswers['trainer'];
}

/** Numbered questions with a way back: dataset, teacher weights, run size (a preset, or Advanced: each setting). */
async function ask(title: string, teacherPath: string, settings: EsnacSettings, remembered: RememberedAnswers, measure: (dataset: string) => Promise<SpeedResult>): Promise<CompressAnswers | undefined> {
  const base: Budget = { ...PRESETS[PRESETS.length - 1].budget, ...settings.search, ...remembered.budget };
  const questions = (a: Answers): Question<Answers>[] => [
    async (answers, place) => {
      const dataset = await askDataset(place, settings, remembered);
      return dataset === undefined || dataset === BACK ? dataset : { ...answers, dataset };
    },
    async (answers, place) => {
      const weights = await askTeacherWeights(place, remembered.teacherWeights[teacherPath]);
      return weights === undefined || weights === BACK ? weights : { ...answers, weights };
    },
    async (answers, place) => {
      const size = await askSize(place, answers, settings, measure);
      return size === undefined || size === BACK ? size : { ...answers, size, budget: size === 'advanced' ? base : PRESETS[size].budget };
    },
    ...(a.size === 'advanced' ? advancedQuestions(a, settings) : []),
  ];
  const answers = await askInTurn<Answers>(title, {}, questions);
  if (!answers?.dataset || !answers.weights || !answers.budget) return undefined;
  return { dataset: answers.dataset, ...(answers.weights.folder ? { teacherWeights: answers.weights.folder } : {}), budget: answers.budget, ...(answers.trainer && { trainer: answers.trainer }) };
}

async function askDataset(place: Place, settings: EsnacSettings, remembered: RememberedAnswers): Promise<DatasetChoice | typeof BACK | undefined> {
  const items: Choice<DatasetKind>[] = [
    { value: 'mnist', label: 'MNIST (embedded)', description: '10,000 digits shipped with esnac, no download' },
    { value: 'fashion-mnist', label: 'Fashion-MNIST', description: 'a folder of IDX files (.gz or plain)' },
    { value: 'cifar10', label: 'CIFAR-10', description: 'a folder of the binary version: data_batch_1..5.bin, test_batch.bin' },
    { value: 'cifar100', label: 'CIFAR-100', description: 'a folder of the binary version: train.bin, test.bin' },
    { value: 'folder', label: 'Image folder', description: 'your images in torchvision ImageFolder layout: train/<class>/*, test/<class>/* (or <class>/* alone)' },
    { value: 'npz', label: 'NumPy archive (.npz)', description: 'x_train, y_train, x_test, y_test (optional x_val, y_val)' },
  ];
  const kind = await pick(place, 'Dataset to train and measure the students on', firstWhere(items, (k) => k === (remembered.dataset ?? 'mnist')));
  if (kind === undefined || kind === BACK) return kind;
  if (kind === 'mnist') return { kind };
  const dir = await askDatasetFolder(place.title, kind, settings, remembered);
  return dir === undefined ? undefined : { kind, dir };
}

/** The items with those `isDefault` picks first, so Enter accepts the default. */
function firstWhere<T>(items: Choice<T>[], isDefault: (value: T) => boolean): Choice<T>[] {
  return [...items.filter((i) => isDefault(i.value)), ...items.filter((i) => !isDefault(i.value))];
}

async function askDatasetFolder(title: string, kind: FolderKind, settings: EsnacSettings, remembered: RememberedAnswers): Promise<string | undefined> {
  const known = new Map<string, string>();
  const add = (folder: string | undefined, why: string) => folder && !known.has(folder) && known.set(folder, why);
  add(remembered.folders[kind], 'last used');
  add(configuredFolder(settings, kind), 'from settings');
  if (kind === 'fashion-mnist') add(DEFAULT_FASHION_MNIST_DIR, "Debian's dataset-fashion-mnist package");
  const choose = () => (kind === 'npz' ? chooseFile(`${title}: the .npz file`, { 'NumPy archives': ['npz'] }) : chooseFolder(`${title}: the ${kind} folder`));
  if (known.size === 0) return choose();
  const items: Choice<string | undefined>[] = [
    ...[...known].map(([folder, why]) => ({ value: folder, label: folder, description: why })),
    { value: undefined, label: kind === 'npz' ? '$(file) Choose an .npz file…' : '$(folder-opened) Choose a folder…' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: kind === 'npz' ? 'The .npz file' : `The ${kind} files`, ignoreFocusOut: true });
  if (!picked) return undefined;
  return picked.value ?? choose();
}

async function chooseFile(title: string, filters: Record<string, string[]>): Promise<string | undefined> {
  const [file] = (await vscode.window.showOpenDialog({ title, canSelectFolders: false, canSelectFiles: true, canSelectMany: false, filters, openLabel: 'Use this file' })) ?? [];
  return file?.fsPath;
}

async function chooseFolder(title: string): Promise<string | undefined> {
  const [folder] = (await vscode.window.showOpenDialog({ title, canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use this folder' })) ?? [];
  return folder?.fsPath;
}

/** `folder` undefined: train the teacher first. */
async function askTeacherWeights(place: Place, lastUsed: string | null | undefined): Promise<{ folder?: string } | typeof BACK | undefined> {
  const choose = 'choose';
  const items: Choice<string | null>[] = [
    { value: null, label: 'Train the teacher first', description: 'the run starts by training it on the dataset (checkpointed every epoch)' },
    ...(lastUsed ? [{ value: lastUsed, label: lastUsed, description: 'weights used last time' }] : []),
    { value: choose, label: '$(folder-opened) Choose a weights folder…', description: 'written by `esnac train`' },
  ];
  const picked = await pick(place, "The teacher's trained weights", firstWhere(items, (v) => v === (lastUsed ?? null)));
  if (picked === undefined || picked === BACK) return picked;
  if (picked === null) return {};
  const folder = picked === choose ? await chooseFolder(`${place.title}: the teacher's weights folder`) : picked;
  return folder === undefined ? undefined : { folder };
}

/** The presets, each with its time at the speed measured on this machine (filled in when measured), then Advanced. */
async function askSize(place: Place, answers: Answers, settings: EsnacSettings, measure: (dataset: string) => Promise<SpeedResult>): Promise<number | 'advanced' | typeof BACK | undefined> {
  const trainsTeacher = !answers.weights?.folder;
  const items = (speed?: SpeedResult | string): Choice<number | 'advanced'>[] => [
    ...PRESETS.map((preset, i) => ({
      value: i,
      label: preset.label,
      description: typeof speed === 'object' ? `about ${durationText(budgetSeconds(preset.budget, speed, trainsTeacher, settings.workers))} here` : typeof speed === 'string' ? speed : 'measuring this machine…',
      detail: preset.detail,
    })),
    { value: 'advanced', label: 'Advanced…', detail: 'teacher epochs, fine-tuning epochs, data limits, trainer (PyTorch / tfjs), objective, search budget' },
  ];
  const measured = measure(datasetArgument(answers.dataset!)).then(
    (speed) => items(speed),
    (err: unknown) => items(`no estimate: ${errorHeadline(err)}`),
  );
  return pick(place, 'How big a run (estimates from one short teacher epoch timed on this machine)', items(), measured);
}

function advancedQuestions(answers: Answers, settings: EsnacSettings): Question<Answers>[] {
  const count = (prompt: string, key: keyof Budget, min: number): Question<Answers> => async (a, place) => {
    const value = await text(place, prompt, String(a.budget?.[key] ?? ''), (input) => {
      const parsed = parseCount(input, min);
      return typeof parsed === 'string' ? parsed : undefined;
    });
    return value === undefined || value === BACK ? value : { ...a, budget: { ...a.budget!, [key]: parseCount(value, min) as number } };
  };
  const choice = <T>(placeholder: string, items: Choice<T>[], current: (a: Answers) => T, set: (a: Answers, value: T) => Answers): Question<Answers> => async (a, place) => {
    const value = await pick(place, placeholder, firstWhere(items, (v) => v === current(a)));
    if (value === undefined) return undefined;
    if (value === BACK) return BACK;
    return set(a, value as T);
  };
  return [
    ...(answers.weights?.folder ? [] : [count('Teacher epochs: it trains first, with cross-entropy, checkpointed each epoch', 'teacherEpochs', 1)]),
    count('Search steps: the first evaluates random candidates, the rest are Bayesian optimisation steps', 'steps', 1),
    count('Candidates per step (one per kernel)', 'kernels', 1),
    count('Training epochs per candidate (with distillation from the teacher)', 'epochs', 1),
    count('Students fine-tuned at the end (0 = none)', 'finetuneTop', 0),
    count('Fine-tuning epochs per student', 'finetuneEpochs', 1),
    count('Training examples to use (0 = all): fewer for a quick look', 'limitTrain', 0),
    choice<'auto' | 'pytorch' | 'local'>(
      'Who trains',
      [
        { value: 'auto', label: 'As esnac.evaluator.kind says', description: settings.evaluator.kind },
        { value: 'pytorch', label: 'PyTorch', description: 'workers in a Python with torch >= 1.13 (CUDA when present)' },
        { value: 'local', label: 'tfjs (local)', description: "esnac's own workers, no Python" },
      ],
      (a) => a.trainer ?? 'auto',
      (a, value) => ({ ...a, trainer: value === 'auto' ? undefined : value }),
    ),
    choice<Objective>(
      'What the students save (C = 1 - cost / cost of the teacher)',
      [
        { value: 'params', label: 'Parameters', description: 'the paper' },
        { value: 'macs', label: 'MACs', description: 'multiply-accumulates per image' },
        { value: 'latency', label: 'Latency', description: 'measured with onnxruntime on this machine' },
      ],
      (a) => a.budget?.objective ?? DEFAULT_SETTINGS.objective,
      (a, objective) => ({ ...a, budget: { ...a.budget!, objective } }),
    ),
    choice<Budget['method']>(
      'Search method',
      [
        { value: 'bo', label: 'Bayesian optimisation', description: "learned embedding kernels (the paper's method)" },
        { value: 'random', label: 'Random search', description: 'the baseline' },
      ],
      (a) => a.budget?.method ?? DEFAULT_SETTINGS.method,
      (a, method) => ({ ...a, budget: { ...a.budget!, method } }),
    ),
  ];
}

