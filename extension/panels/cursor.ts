// A panel's side of following the editor's cursor: the editors on its spec files, and where their
// layers lie in the text as it is now (parsed again only when the document changed).
import * as vscode from 'vscode';
import { parseSource } from '../../engine/architecture/source';
import { CursorFollower, LayerRange, layerRanges } from '../view-models/graph';

/** Calls `select` with the layer the cursor enters in an editor on one of `specs`. */
export function followEditorCursor(specs: vscode.Uri[], select: (layerId: string) => void): vscode.Disposable {
  const ours = new Set(specs.map((uri) => uri.toString()));
  const follower = new CursorFollower();
  const parsed = new Map<string, { version: number; layers: LayerRange[] }>();
  const layersOf = (document: vscode.TextDocument): LayerRange[] => {
    const key = document.uri.toString();
    const known = parsed.get(key);
    if (known?.version === document.version) return known.layers;
    const { document: source } = parseSource(document.getText(), document.uri.path);
    const layers = source ? layerRanges(source) : [];
    parsed.set(key, { version: document.version, layers });
    return layers;
  };
  const follow = (editor: vscode.TextEditor, at: vscode.Position) => {
    if (!ours.has(editor.document.uri.toString())) return;
    const layerId = follower.moved(layersOf(editor.document), { line: at.line, column: at.character });
    if (layerId !== undefined) select(layerId);
  };
  return vscode.Disposable.from(
    vscode.window.onDidChangeTextEditorSelection((e) => follow(e.textEditor, e.selections[0].active)),
    vscode.window.onDidChangeActiveTextEditor((editor) => editor && follow(editor, editor.selection.active)),
  );
}
