// The context key esnac.studentSpecs: the paths of the workspace's spec files that are students
// of a teacher (the engine's answer, engine/run/student), so package.json shows "Diff with
// teacher" only on them. Kept current as spec files and run.json files appear, change and go.
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { isSpecFileName, SPEC_FILE_GLOB } from '../protocol';
import { teacherOfSpec } from '../engine/run/student';
import { ContextKeys } from './commands/ids';

/** More spec files than this in a workspace are not all looked at when it opens (open files still are). */
const MAX_SCANNED = 10_000;

export class StudentSpecs implements vscode.Disposable {
  private readonly students = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private publishing: NodeJS.Timeout | undefined;

  constructor() {
    const specs = vscode.workspace.createFileSystemWatcher(SPEC_FILE_GLOB);
    const runs = vscode.workspace.createFileSystemWatcher('**/run.json');
    const recheckRun = (manifest: vscode.Uri) => void this.scan(new vscode.RelativePattern(vscode.Uri.joinPath(manifest, '..'), SPEC_FILE_GLOB));
    this.disposables.push(
      specs,
      runs,
      specs.onDidCreate((uri) => void this.check(uri)),
      specs.onDidChange((uri) => void this.check(uri)),
      specs.onDidDelete((uri) => this.set(uri, false)),
      runs.onDidCreate(recheckRun),
      runs.onDidChange(recheckRun),
      runs.onDidDelete(recheckRun),
      vscode.workspace.onDidOpenTextDocument((document) => void this.check(document.uri)),
    );
    void this.scan(SPEC_FILE_GLOB);
    vscode.workspace.textDocuments.forEach((document) => void this.check(document.uri));
  }

  dispose(): void {
    clearTimeout(this.publishing);
    this.disposables.forEach((d) => d.dispose());
  }

  private async scan(pattern: vscode.GlobPattern): Promise<void> {
    const files = await vscode.workspace.findFiles(pattern, '**/node_modules/**', MAX_SCANNED);
    await Promise.all(files.map((uri) => this.check(uri)));
  }

  private async check(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file' || !isSpecFileName(uri.path)) return;
    let text: string;
    try {
      text = await readFile(uri.fsPath, 'utf8');
    } catch {
      this.set(uri, false);
      return;
    }
    this.set(uri, 'teacher' in teacherOfSpec(uri.fsPath, text));
  }

  private set(uri: vscode.Uri, student: boolean): void {
    const changed = student ? !this.students.has(uri.fsPath) : this.students.has(uri.fsPath);
    if (!changed) return;
    if (student) this.students.add(uri.fsPath);
    else this.students.delete(uri.fsPath);
    // A run writes many candidates at once: one update for them all.
    clearTimeout(this.publishing);
    this.publishing = setTimeout(() => void vscode.commands.executeCommand('setContext', ContextKeys.studentSpecs, [...this.students]), 100);
  }
}
