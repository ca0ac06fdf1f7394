// A candidate against its teacher: the text diff (built-in vscode.diff) and the graph diff
// (the panels' showGraphDiff). Which teacher, if any, is the engine's answer (engine/run/student).
import * as vscode from 'vscode';
import { isSpecFileName } from '../../protocol';
import { teacherOfSpec } from '../../engine/run/student';
import { diffTitle } from '../format';
import { specBaseName, specIdentity } from '../search-params';
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

/** The candidate's teacher; undefined, after saying why, when it has none or the file is gone. */
async function teacherOf(candidate: vscode.Uri): Promise<Pair | undefined> {
  const text = (await vscode.workspace.openTextDocument(candidate)).getText();
  const student = teacherOfSpec(candidate.fsPath, text);
  if ('notAStudent' in student) {
    void vscode.window.showInformationMessage(`esnac: Diff with teacher compares a student with its teacher, and ${student.notAStudent}.`);
    return undefined;
  }
  const teacher = vscode.Uri.file(student.teacher);
  try {
    await vscode.workspace.fs.stat(teacher);
  } catch {
    void vscode.window.showErrorMessage(`esnac: the teacher of ${vscode.workspace.asRelativePath(candidate)}, ${teacher.fsPath}, does not exist.`);
    return undefined;
  }
  const identity = specIdentity(text);
  return {
    teacher,
    teacherName: identity.teacher ?? specBaseName(teacher.fsPath),
    candidateName: identity.name ?? specBaseName(candidate.fsPath),
  };
}
