// The graph diff of a student against its teacher, redrawn when either file is saved. The layer
// under the cursor in an editor on either file is selected in the graph (its layers are all
// nodes of the diff: kept, removed or added).
import * as vscode from 'vscode';
import type { WebviewMessage } from '../../protocol/webview';
import { diffTitle } from '../format';
import { buildDiffModel } from '../view-models/diff';
import { followEditorCursor } from './cursor';
import { saveExport } from './export-image';
import type { PanelContext } from './index';
import { basename, loadSpec, unusable } from './specs';
import { EsnacPanel } from './webview-panel';
import { errorMessage } from '../../engine/util/errors';

export class DiffPanel extends EsnacPanel {
  constructor(
    panel: vscode.WebviewPanel,
    readonly teacher: vscode.Uri,
    readonly student: vscode.Uri,
    context: PanelContext,
  ) {
    super(panel, `Diff: ${diffTitle(basename(teacher), basename(student))}`, context);
    const ours = new Set([teacher.toString(), student.toString()]);
    this.disposables.push(
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (ours.has(d.uri.toString())) void this.update();
      }),
      followEditorCursor([teacher, student], (layerId) =>
        this.connection.notify({ type: 'select', subject: { kind: 'graphDiff', teacher: teacher.toString(), student: student.toString() }, layerId }),
      ),
    );
  }

  async update(): Promise<void> {
    const subject = { kind: 'graphDiff' as const, teacher: this.teacher.toString(), student: this.student.toString() };
    try {
      const [teacher, student] = await Promise.all([loadSpec(this.teacher), loadSpec(this.student)]);
      const problem = unusable(basename(this.teacher), teacher) ?? unusable(basename(this.student), student);
      if (problem) return this.connection.send({ type: 'failure', subject, message: problem });
      const { graph, summary } = buildDiffModel(teacher.spec!, student.spec!);
      this.connection.send({ type: 'graphDiff', subject, graph, summary });
    } catch (err) {
      const message = `cannot diff ${this.student.fsPath} with ${this.teacher.fsPath}: ${errorMessage(err)}`;
      this.context.host.log.error(message);
      this.connection.send({ type: 'failure', subject, message });
    }
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'revealLayer':
        return this.context.host.revealLayer(message.side === 'teacher' ? this.teacher : this.student, message.layerId);
      case 'exportSvg':
      case 'exportPng':
        return saveExport(message, vscode.Uri.joinPath(this.student, '..'), this.context.host.log);
      case 'error':
        this.context.host.log.error(`graph diff of ${this.student.fsPath}: ${message.message}`);
    }
  }
}
