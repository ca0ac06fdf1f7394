// Reading a spec for a panel: the editor's text when the file is open (so previews follow
// unsaved edits), else the file; checked by the engine's validator.
import * as vscode from 'vscode';
import { checkSpecText, formatProblems } from '../../engine/architecture/validate';
import type { ArchitectureSpec } from '../../engine/architecture/types';

export interface LoadedSpec {
  /** Present once the schema and the graph check (shapes may still have problems). */
  spec?: ArchitectureSpec;
  /** `file:line:col: message` lines. */
  problems: string[];
}

export async function loadSpec(uri: vscode.Uri): Promise<LoadedSpec> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const text = open ? open.getText() : await vscode.workspace.fs.readFile(uri);
  const name = vscode.workspace.asRelativePath(uri);
  const { spec, problems } = checkSpecText(text, uri.path);
  return { spec, problems: problems.length > 0 ? formatProblems(name, problems).split('\n') : [] };
}

/** The problems of a spec that cannot be used, or undefined when it is fine. */
export function unusable(name: string, loaded: LoadedSpec): string | undefined {
  if (loaded.spec && loaded.problems.length === 0) return undefined;
  return [`${name} is not a valid architecture:`, ...loaded.problems].join('\n');
}

export const basename = (uri: vscode.Uri) => uri.path.slice(uri.path.lastIndexOf('/') + 1);
