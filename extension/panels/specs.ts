// Reading a spec for a panel: the editor's text when the file is open (so previews follow
// unsaved edits), else the file; checked by the engine's validator, with where its layers lie.
import * as vscode from 'vscode';
import type { LayerProblems } from '../../protocol/webview';
import { parseSource } from '../../engine/architecture/source';
import { checkSourceDocument, formatProblems } from '../../engine/architecture/validate';
import type { ArchitectureSpec } from '../../engine/architecture/types';
import { LayerRange, layerRanges, problemsByLayer } from '../view-models/graph';

export interface LoadedSpec {
  /** Present once the schema and the graph check (shapes may still have problems). */
  spec?: ArchitectureSpec;
  /** `file:line:col: message` lines. */
  problems: string[];
  /** Where each layer lies in the text; empty when the text does not parse. */
  layers: LayerRange[];
  /** The problems inside layers, by layer id. */
  layerProblems: LayerProblems;
}

export async function loadSpec(uri: vscode.Uri): Promise<LoadedSpec> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const text = open ? open.getText() : await vscode.workspace.fs.readFile(uri);
  const name = vscode.workspace.asRelativePath(uri);
  const parsed = parseSource(text, uri.path);
  const { spec, problems } = parsed.document ? checkSourceDocument(parsed.document) : { spec: undefined, problems: parsed.problems };
  const layers = parsed.document ? layerRanges(parsed.document) : [];
  return { spec, problems: problems.length > 0 ? formatProblems(name, problems).split('\n') : [], layers, layerProblems: problemsByLayer(layers, problems) };
}

/** The problems of a spec that cannot be used, or undefined when it is fine. */
export function unusable(name: string, loaded: LoadedSpec): string | undefined {
  if (loaded.spec && loaded.problems.length === 0) return undefined;
  return [`${name} is not a valid architecture:`, ...loaded.problems].join('\n');
}

export const basename = (uri: vscode.Uri) => uri.path.slice(uri.path.lastIndexOf('/') + 1);
