// Tests that run inside a real extension host against the installed extension, on the workspace
// the harness prepared (test/e2e/workspace.ts): the language server's diagnostics, and a tiny
// "Compress architecture" run on the embedded MNIST, checked on disk.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { JournalEvent, SearchSettings } from '../../../protocol';
import { checkSpecText } from '../../../engine/architecture/validate';
import { specStats } from '../../../engine/architecture/stats';
import { DEFAULT_SETTINGS } from '../../../engine/run/settings';
import { BROKEN_LINE_INDEX, BROKEN_SPEC, EXTENSION_ID, FIXED_TEXT, RUNS_FOLDER, TEACHER_SPEC } from '../workspace';
import { editorHostTests } from './editor';
import { HostTest } from './runner';

/** The smallest search that still has a random step and a BO step. */
const TINY_SEARCH: Partial<SearchSettings> = {
  steps: 2,
  kernels: 2,
  epochs: 1,
  teacherEpochs: 1,
  limitTrain: 256,
  limitValidation: 256,
  finetuneTop: 0,
  acquisitionSamples: 100,
  kernelFit: { ...DEFAULT_SETTINGS.kernelFit, maxSteps: 10 },
};

const SEARCH_TIMEOUT_MS = 6 * 60_000;

interface SuiteState {
  workspaceHashes?: Map<string, string>;
  runDir?: string;
}

export function hostTests(): HostTest[] {
  const state: SuiteState = {};
  return [
    { name: 'the extension activates and registers every contributed command', timeoutMs: 60_000, run: activates },
    { name: 'a broken spec gets esnac diagnostics, which clear once it is fixed and saved', timeoutMs: 120_000, run: diagnosticsFollowEdits },
    { name: 'Compress architecture runs a tiny search on the embedded MNIST to its end', timeoutMs: SEARCH_TIMEOUT_MS + 120_000, run: () => compresses(state) },
    { name: 'the run directory holds run.json, a journal of the candidates and a valid best student smaller than the teacher', timeoutMs: 30_000, run: () => checksRun(state) },
    { name: 'compressing changed no existing workspace file', timeoutMs: 30_000, run: () => checksUntouched(state) },
    ...editorHostTests(),
  ];
}

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder.uri.fsPath;
}

async function activates(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not installed`);
  await extension.activate();
  const contributed: { command: string }[] = extension.packageJSON.contributes?.commands ?? [];
  assert.ok(contributed.length > 0, 'the manifest contributes no commands');
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = contributed.map((c) => c.command).filter((id) => !registered.has(id));
  assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
}

async function diagnosticsFollowEdits(): Promise<void> {
  const uri = vscode.Uri.file(join(workspaceRoot(), BROKEN_SPEC));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  const problems = await waitFor('esnac diagnostics on the broken spec', 90_000, () => {
    const found = esnacDiagnostics(uri);
    return found.length > 0 ? found : undefined;
  });
  assert.ok(
    problems.some((d) => d.range.start.line === BROKEN_LINE_INDEX),
    `expected a problem on line ${BROKEN_LINE_INDEX + 1}, got: ${problems.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('; ')}`,
  );

  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), FIXED_TEXT);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the edit was refused');
  assert.ok(await document.save(), 'saving the fixed spec failed');
  await waitFor('the diagnostics to clear', 30_000, () => (esnacDiagnostics(uri).length === 0 ? true : undefined));
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export function esnacDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'esnac');
}

async function compresses(state: SuiteState): Promise<void> {
  const root = workspaceRoot();
  state.workspaceHashes = hashFiles(root);
  const runsFolder = join(root, RUNS_FOLDER);
  const before = new Set(listDirs(runsFolder));
  const teacher = vscode.Uri.file(join(root, TEACHER_SPEC));
  // The options argument stands in for the quick picks' answers. The command may return as the
  // search starts or when it ends: the run directory tells either way.
  const command = Promise.resolve(vscode.commands.executeCommand('esnac.compressArchitecture', teacher, { dataset: 'mnist', settings: TINY_SEARCH }));
  const failure = command.then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    const runDir = await waitFor(
      'a new run directory (does esnac.compressArchitecture take the options argument { dataset, settings } and skip its questions?)',
      60_000,
      () => listDirs(runsFolder).find((d) => !before.has(d)),
    );
    state.runDir = join(runsFolder, runDir);
    await waitFor(`the run in ${state.runDir} to finish`, SEARCH_TIMEOUT_MS, () => (readJournal(state.runDir!).some((e) => e.type === 'done') ? true : undefined));
  } finally {
    // A command still asking its questions would hold the next tests.
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  }
  const error = await Promise.race([failure, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  if (error) throw error;
}

function checksRun(state: SuiteState): void {
  assert.ok(state.runDir, 'no run to check (the compress test failed)');
  const runJson = JSON.parse(readFileSync(join(state.runDir, 'run.json'), 'utf8'));
  assert.equal(typeof runJson, 'object', 'run.json is not an object');

  const journal = readJournal(state.runDir);
  const teacherEntry = journal.find((e) => e.type === 'teacher');
  assert.ok(teacherEntry && teacherEntry.type === 'teacher', 'the journal has no teacher entry');
  assert.equal(teacherEntry.trained, true, 'the teacher should have been trained first');
  const candidates = journal.filter((e) => e.type === 'candidate');
  assert.equal(candidates.length, TINY_SEARCH.steps! * TINY_SEARCH.kernels!, 'candidates evaluated (steps x kernels)');
  assert.ok(candidates.some((c) => c.status === 'ok'), 'no candidate trained');

  const done = journal.find((e) => e.type === 'done');
  assert.ok(done && done.type === 'done', 'the journal does not end with done');
  const bestPath = join(state.runDir, done.bestSpec);
  assert.ok(existsSync(bestPath), `the best student ${done.bestSpec} is missing`);
  const best = checkSpecText(readFileSync(bestPath), bestPath);
  assert.deepEqual(best.problems, [], 'the best student spec has problems');
  assert.ok(best.spec);
  const teacher = checkSpecText(readFileSync(join(workspaceRoot(), TEACHER_SPEC)), TEACHER_SPEC).spec;
  assert.ok(teacher);
  const [studentParams, teacherParams] = [specStats(best.spec).params, specStats(teacher).params];
  assert.ok(studentParams < teacherParams, `the best student has ${studentParams} parameters, the teacher ${teacherParams}`);
}

function checksUntouched(state: SuiteState): void {
  assert.ok(state.workspaceHashes && state.runDir, 'no run to compare with (the compress test failed)');
  assert.deepEqual(Object.fromEntries(hashFiles(workspaceRoot())), Object.fromEntries(state.workspaceHashes));
}

/** sha256 of every file under root, by relative path, leaving out the runs folder. */
function hashFiles(root: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && path !== join(root, RUNS_FOLDER)) walk(path);
      if (entry.isFile()) hashes.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return hashes;
}

/** The folders in `folder`, leaving out the hidden temporaries a run directory is made in before its rename. */
function listDirs(folder: string): string[] {
  return existsSync(folder) ? readdirSync(folder, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name) : [];
}

function readJournal(runDir: string): JournalEvent[] {
  const path = join(runDir, 'journal.jsonl');
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  // The engine may be writing the last line: only newline-terminated lines are complete.
  lines.pop();
  return lines.filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as JournalEvent);
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
