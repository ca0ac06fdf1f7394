// Which spec file a command is about.
import * as vscode from 'vscode';
import { isSpecFileName } from '../../protocol';

/**
 * The command's argument (a Uri from a menu, a URI string from a CodeLens, a path from a
 * notification, a tree item of a file or folder from a view) or else the active editor's spec file.
 */
export function uriArgument(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg instanceof vscode.TreeItem && arg.resourceUri) return arg.resourceUri;
  if (typeof arg === 'string' && arg !== '') return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return undefined;
}

/** The spec a command should act on; undefined (with a message saying how to pick one) when none. */
export function specTarget(arg: unknown, action: string): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  const uri = uriArgument(arg) ?? (active && isSpecFileName(active.path) ? active : undefined);
  if (uri && isSpecFileName(uri.path)) return uri;
  void vscode.window.showErrorMessage(`esnac: ${action} works on architecture files (*.arch.json, *.arch.yaml, *.arch.yml): open one, or right-click it in the Explorer.`);
  return undefined;
}
