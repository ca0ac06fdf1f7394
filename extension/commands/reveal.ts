// The panels' "go to layer": the spec opened with the layer's id selected, located by the
// engine's document symbols (one per layer, the selection range on its id).
import * as vscode from 'vscode';
import { Engine } from '../client';

export async function revealLayer(engine: Engine, spec: vscode.Uri, layerId: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument(spec);
  const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
  const editor = await vscode.window.showTextDocument(document, { viewColumn: column });
  await engine.ready();
  const symbols = (await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>('vscode.executeDocumentSymbolProvider', spec)) ?? [];
  const layer = symbols.find((s) => s.name === layerId);
  if (!layer) {
    void vscode.window.showWarningMessage(`esnac: ${vscode.workspace.asRelativePath(spec)} has no layer "${layerId}" now.`);
    return;
  }
  editor.selection = new vscode.Selection(layer.selectionRange.start, layer.selectionRange.end);
  editor.revealRange(layer.selectionRange, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
