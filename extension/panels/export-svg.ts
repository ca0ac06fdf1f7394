// Saving a graph the webview drew: webviews cannot write files, so the host asks where.
import * as vscode from 'vscode';

export async function saveSvg(svg: string, fileName: string, folder: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder, fileName),
    filters: { 'SVG image': ['svg'] },
    title: 'Export graph as SVG',
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(svg));
  log.info(`exported ${target.fsPath}`);
}
