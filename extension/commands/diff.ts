// A candidate against its teacher: the text diff (built-in vscode.diff) and the graph diff
// (the panels' showGraphDiff). A candidate names its teacher in candidate.teacherPath, relative
// to the candidate file, or else sits in a run directory whose run.json names it.
import * as vscode from 'vscode';
import { isSpecFileName } from '../../protocol';
import { diffTitle } from '../format';
import { specBaseName, specIdentity, teacherPathOf } from '../search-params';
import { specTarget, uriArgument } from './target';

interface Pair {
  teacher: vscode.Uri;
  teacherName: string;
  candidateName: string;
}

export async function diffWithTeacher(arg: unknown): Promise<void> {
  const candidate = specTarget(arg, 'Diff with teacher');
  const pair = candidate && (await teacherOf(candidate));
  if (!candidate || !pair) return;
  await vscode.commands.executeCommand('vscode.diff', pair.teacher, candidate, diffTitle(pair.teacherName, pair.candidateName));
}

/** In a spec's text diff: that diff's two files; else the candidate given (or active) and its teacher. */
export async function showGraphDiff(arg: unknown, show: (teacher: vscode.Uri, student: vscode.Uri) => Promise<void>): Promise<void> {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const given = uriArgument(arg);
  if (input instanceof vscode.TabInputTextDiff && isSpecFileName(input.modified.path) && (!given || given.toString() === input.modified.toString())) {
    await show(input.original, input.modified);
    return;
  }
  const candidate = specTarget(arg, 'Open graph diff');
  const pair = candidate && (await teacherOf(candidate));
  if (candidate && pair) await show(pair.teacher, candidate);
}

/** The candidate's teacher; undefined, after saying why, when it names none or the file is gone. */
async function teacherOf(candidate: vscode.Uri): Promise<Pair | undefined> {
  const identity = specIdentity((await vscode.workspace.openTextDocument(candidate)).getText());
  const file = vscode.workspace.asRelativePath(candidate);
  const teacher = identity.teacherPath ? vscode.Uri.file(teacherPathOf(candidate.fsPath, identity.teacherPath)) : await runTeacher(candidate);
  if (!teacher) {
    void vscode.window.showErrorMessage(`esnac: ${file} names no teacher (candidate.teacherPath) and is not in a run directory.`);
    return undefined;
  }
  try {
    await vscode.workspace.fs.stat(teacher);
  } catch {
    void vscode.window.showErrorMessage(`esnac: the teacher of ${file}, ${teacher.fsPath}, does not exist.`);
    return undefined;
  }
  return {
    teacher,
    teacherName: identity.teacher ?? specBaseName(teacher.fsPath),
    candidateName: identity.name ?? specBaseName(candidate.fsPath),
  };
}

/** A run's students (best.arch.yaml, candidates/*) may not name their teacher file; the run's run.json does. */
async function runTeacher(candidate: vscode.Uri): Promise<vscode.Uri | undefined> {
  for (const dir of [vscode.Uri.joinPath(candidate, '..'), vscode.Uri.joinPath(candidate, '..', '..')]) {
    try {
      const manifest = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'run.json')))) as { teacher?: { spec?: unknown } };
      if (typeof manifest.teacher?.spec === 'string') return vscode.Uri.joinPath(dir, manifest.teacher.spec);
    } catch {
      // No run.json here: try the parent.
    }
  }
  return undefined;
}
