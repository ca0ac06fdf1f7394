// A candidate against its teacher: the text diff (built-in vscode.diff) and the graph diff
// (the panels' showGraphDiff). A candidate names its teacher in candidate.teacherPath, relative
// to the candidate file.
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
  if (!identity.teacherPath) {
    void vscode.window.showErrorMessage(`esnac: ${file} names no teacher (candidate.teacherPath): only students written by an esnac search have one.`);
    return undefined;
  }
  const teacher = vscode.Uri.file(teacherPathOf(candidate.fsPath, identity.teacherPath));
  try {
    await vscode.workspace.fs.stat(teacher);
  } catch {
    void vscode.window.showErrorMessage(`esnac: the teacher of ${file}, ${teacher.fsPath} (its candidate.teacherPath), does not exist.`);
    return undefined;
  }
  return {
    teacher,
    teacherName: identity.teacher ?? specBaseName(teacher.fsPath),
    candidateName: identity.name ?? specBaseName(candidate.fsPath),
  };
}
