// The dashboard of one run directory: read from run.json and journal.jsonl, and read again
// whenever the journal grows, so a running search shows each candidate as it is evaluated.
import { statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { WebviewMessage } from '../../protocol/webview';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';
import { RunDirectory } from '../../engine/run/run-directory';
import { dashboardRun } from '../view-models/run';
import { ExtensionCommands } from '../commands/ids';
import type { PanelContext } from './index';
import { basename } from './specs';
import { EsnacPanel } from './webview-panel';
import { errorMessage } from '../../engine/util/errors';

const JOURNAL = 'journal.jsonl';
const JOURNAL_DEBOUNCE_MS = 200;

/**
 * The panel reads files only, so it cannot ask the engine whether the search still runs: an
 * unfinished run whose journal changed this recently counts as running.
 */
const RUNNING_WITHIN_MS = 15 * 60_000;

export class DashboardPanel extends EsnacPanel {
  private events: JournalEvent[] = [];
  private teacherSpec: vscode.Uri | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    readonly runDir: vscode.Uri,
    context: PanelContext,
  ) {
    super(panel, `Run: ${basename(runDir)}`, context);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(runDir, JOURNAL));
    const changed = () => this.scheduleUpdate(JOURNAL_DEBOUNCE_MS);
    this.disposables.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed));
  }

  update(): void {
    const subject = { kind: 'dashboard' as const, runDir: this.runDir.toString() };
    try {
      const run = RunDirectory.open(this.runDir.fsPath);
      this.events = run.journal.read();
      this.teacherSpec = vscode.Uri.file(run.path(run.manifest.teacher.spec));
      const finished = this.events.some((e) => e.type === 'done');
      const running = !finished && Date.now() - journalTime(run) < RUNNING_WITHIN_MS;
      this.connection.send({ type: 'run', subject, run: dashboardRun(run.dir, run.manifest, this.events, running) });
    } catch (err) {
      const message = `cannot read the run ${this.runDir.fsPath}: ${errorMessage(err)}`;
      this.context.host.log.error(message);
      void vscode.window.showErrorMessage(message);
    }
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    if (message.type === 'error') return this.context.host.log.error(`dashboard of ${this.runDir.fsPath}: ${message.message}`);
    if (message.type !== 'candidate') return;
    const event = this.events.find((e): e is CandidateEvent => e.type === 'candidate' && e.name === message.name);
    if (!event) return;
    const spec = vscode.Uri.joinPath(this.runDir, event.spec);
    switch (message.action) {
      case 'preview':
        return this.context.panels.previewArchitecture(spec);
      case 'open':
        await vscode.window.showTextDocument(spec, { preview: false });
        return;
      case 'graphDiff':
        if (this.teacherSpec) return this.context.panels.showGraphDiff(this.teacherSpec, spec);
        return;
      case 'textDiff':
        return this.context.host.diffWithTeacher(spec);
      case 'export':
        await vscode.commands.executeCommand(ExtensionCommands.exportStudent, spec);
        return;
    }
  }
}

function journalTime(run: RunDirectory): number {
  try {
    return statSync(run.path(JOURNAL)).mtimeMs;
  } catch {
    return 0;
  }
}
