// "Compress architecture": asks for the dataset, the teacher's weights and the budget, each
// offering the last answer first, then starts esnac/startSearch with the file as teacher.
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_FASHION_MNIST_DIR } from '../../engine/data/names';
import { settingsFor } from '../client';
import {
  CompressAnswers,
  compressRequest,
  configuredFolder,
  DatasetChoice,
  DatasetKind,
  evaluatorNote,
  NOTHING_REMEMBERED,
  newRunDirectory,
  parseCount,
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
import { specTarget } from './target';

const REMEMBERED_KEY = 'esnac.compress.answers';

type FolderKind = Exclude<DatasetKind, 'mnist'>;
type Budget = CompressAnswers['budget'];

/** `options`: a CompressRequest skips the questions (see compressRequest). */
export async function compressArchitecture(arg: unknown, options: unknown, state: vscode.Memento, searches: Searches, log: vscode.LogOutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const choice = await vscode.window.showWarningMessage('esnac: compressing trains networks as this workspace\'s files and settings say: trust the workspace first.', 'Manage Workspace Trust');
    if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const spec = specTarget(arg, 'Compress architecture');
  if (!spec) return;
  const document = await vscode.workspace.openTextDocument(spec);
  // The engine reads the teacher from disk.
  if (document.isDirty && !(await document.save())) return;
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
  const answers = await ask(`Compress ${teacherName}${note ? ` (${note})` : ''}`, spec.fsPath, settings, remembered);
  if (!answers) return;
  await state.update(REMEMBERED_KEY, remember(remembered, spec.fsPath, answers));
  const params = startSearchParams({ teacher: spec.fsPath, answers, settings, runDir, workspaceRoot: root });
  log.info(`starting a search into ${runDir}: ${JSON.stringify(params)}`);
  void searches.start(params, teacherName);
}

async function ask(title: string, teacherPath: string, settings: EsnacSettings, remembered: RememberedAnswers): Promise<CompressAnswers | undefined> {
  const dataset = await askDataset(title, settings, remembered);
  if (!dataset) return undefined;
  const weights = await askTeacherWeights(title, remembered.teacherWeights[teacherPath]);
  if (!weights) return undefined;
  const budget = await askBudget(title, remembered.budget ?? settings.search);
  if (!budget) return undefined;
  return { dataset, ...(weights.folder ? { teacherWeights: weights.folder } : {}), budget };
}

type Choice<T> = vscode.QuickPickItem & { value: T };

/** Shows the items with the one `isDefault` picks first, so Enter accepts it. */
async function pickOne<T>(title: string, placeHolder: string, items: Choice<T>[], isDefault: (value: T) => boolean): Promise<T | undefined> {
  const ordered = [...items.filter((i) => isDefault(i.value)), ...items.filter((i) => !isDefault(i.value))];
  const picked = await vscode.window.showQuickPick(ordered, { title, placeHolder, ignoreFocusOut: true, matchOnDescription: true });
  return picked?.value;
}

async function askDataset(title: string, settings: EsnacSettings, remembered: RememberedAnswers): Promise<DatasetChoice | undefined> {
  const items: Choice<DatasetKind>[] = [
    { value: 'mnist', label: 'MNIST (embedded)', description: '10,000 digits shipped with esnac, no download' },
    { value: 'fashion-mnist', label: 'Fashion-MNIST', description: 'a folder of IDX files (.gz or plain)' },
    { value: 'cifar10', label: 'CIFAR-10', description: 'a folder of the binary version: data_batch_1..5.bin, test_batch.bin' },
    { value: 'cifar100', label: 'CIFAR-100', description: 'a folder of the binary version: train.bin, test.bin' },
    { value: 'folder', label: 'Image folder', description: 'your images in torchvision ImageFolder layout: train/<class>/*, test/<class>/* (or <class>/* alone)' },
    { value: 'npz', label: 'NumPy archive (.npz)', description: 'x_train, y_train, x_test, y_test (optional x_val, y_val)' },
  ];
  const kind = await pickOne(title, 'Dataset to train and measure the students on', items, (k) => k === (remembered.dataset ?? 'mnist'));
  if (kind === undefined) return undefined;
  if (kind === 'mnist') return { kind };
  const dir = await askDatasetFolder(title, kind, settings, remembered);
  return dir === undefined ? undefined : { kind, dir };
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

/** `folder` undefined: train the teacher first. Undefined as a whole: the user gave up. */
async function askTeacherWeights(title: string, lastUsed: string | null | undefined): Promise<{ folder?: string } | undefined> {
  const choose = 'choose';
  const items: Choice<string | null>[] = [
    { value: null, label: 'Train the teacher first', description: 'the search starts by training it on the dataset' },
    ...(lastUsed ? [{ value: lastUsed, label: lastUsed, description: 'weights used last time' }] : []),
    { value: choose, label: '$(folder-opened) Choose a weights folder…', description: 'written by `esnac train`' },
  ];
  const picked = await pickOne(title, "The teacher's trained weights", items, (v) => v === (lastUsed ?? null));
  if (picked === undefined) return undefined;
  if (picked === null) return {};
  const folder = picked === choose ? await chooseFolder(`${title}: the teacher's weights folder`) : picked;
  return folder === undefined ? undefined : { folder };
}

async function askBudget(title: string, defaults: Budget): Promise<Budget | undefined> {
  const steps = await askCount(title, 'Search steps: the first evaluates random candidates, the rest are Bayesian optimisation steps', defaults.steps);
  if (steps === undefined) return undefined;
  const kernels = await askCount(title, 'Kernels per step: each proposes one candidate, so a step evaluates this many', defaults.kernels);
  if (kernels === undefined) return undefined;
  const epochs = await askCount(title, 'Training epochs per candidate (with distillation from the teacher)', defaults.epochs);
  if (epochs === undefined) return undefined;
  const methods: Choice<Budget['method']>[] = [
    { value: 'bo', label: 'Bayesian optimisation', description: 'learned embedding kernels (the paper\'s method)' },
    { value: 'random', label: 'Random search', description: 'the baseline' },
  ];
  const method = await pickOne(title, 'Search method', methods, (m) => m === defaults.method);
  return method === undefined ? undefined : { steps, kernels, epochs, method };
}

async function askCount(title: string, prompt: string, value: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(value),
    ignoreFocusOut: true,
    validateInput: (input) => {
      const parsed = parseCount(input);
      return typeof parsed === 'string' ? parsed : undefined;
    },
  });
  if (text === undefined) return undefined;
  return parseCount(text) as number;
}
