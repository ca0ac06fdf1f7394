// The architecture graph of one spec file beside its editor, redrawn as the document changes
// (debounced). While the text does not check, the last graph that could be drawn stays, with
// the problems above it and marked on their layers. The layer under the editor's cursor is
// selected in the graph.
import * as vscode from 'vscode';
import type { GraphModel, WebviewMessage } from '../../protocol/webview';
import { buildGraphModel } from '../view-models/graph';
import { followEditorCursor } from './cursor';
import { saveExport } from './export-image';
import type { PanelContext } from './index';
import { basename, loadSpec } from './specs';
import { EsnacPanel } from './webview-panel';
import { errorMessage } from '../../engine/util/errors';

const EDIT_DEBOUNCE_MS = 300;

export class GraphPanel extends EsnacPanel {
  private lastGood: GraphModel | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    readonly spec: vscode.Uri,
    context: PanelContext,
  ) {
    super(panel, `Graph: ${basename(spec)}`, context);
    const isOurs = (uri: vscode.Uri) => uri.toString() === spec.toString();
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(spec, '..'), basename(spec)));
    const changed = () => this.scheduleUpdate(EDIT_DEBOUNCE_MS);
    this.disposables.push(
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isOurs(e.document.uri) && e.contentChanges.length > 0) changed();
      }),
      followEditorCursor([spec], (layerId) => this.connection.notify({ type: 'select', subject: { kind: 'graph', spec: spec.toString() }, layerId })),
    );
  }

  async update(): Promise<void> {
    const subject = { kind: 'graph' as const, spec: this.spec.toString() };
    try {
      const { spec, problems, layerProblems } = await loadSpec(this.spec);
      if (spec) this.lastGood = buildGraphModel(spec);
      if (this.lastGood) this.connection.send({ type: 'graph', subject, graph: this.lastGood, problems, stale: !spec, layerProblems });
      else this.connection.send({ type: 'failure', subject, message: problems.join('\n') });
    } catch (err) {
      const message = `cannot read ${this.spec.fsPath}: ${errorMessage(err)}`;
      this.context.host.log.error(message);
      this.connection.send({ type: 'failure', subject, message });
    }
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'revealLayer':
        return this.context.host.revealLayer(this.spec, message.layerId);
      case 'exportSvg':
      case 'exportPng':
        return saveExport(message, vscode.Uri.joinPath(this.spec, '..'), this.context.host.log);
      case 'error':
        this.context.host.log.error(`graph of ${this.spec.fsPath}: ${message.message}`);
    }
  }
}
