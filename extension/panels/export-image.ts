// Saving a graph the webview drew, as SVG or PNG: webviews cannot write files, so the host asks where.
import * as vscode from 'vscode';
import type { WebviewMessage } from '../../protocol/webview';

export type ExportMessage = Extract<WebviewMessage, { type: 'exportSvg' | 'exportPng' }>;

/** Asks where, beside `folder` by default, and writes the picture there. */
export async function saveExport(message: ExportMessage, folder: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  const [filter, extension, data] =
    message.type === 'exportSvg' ? ['SVG image', 'svg', new TextEncoder().encode(message.svg)] : ['PNG image', 'png', new Uint8Array(Buffer.from(message.png, 'base64'))];
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder, message.fileName),
    filters: { [filter]: [extension] },
    title: `Export graph as ${extension.toUpperCase()}`,
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, data);
  log.info(`exported ${target.fsPath}`);
}
