// The status bar item: the engine's state and backend (esnac/engineInfo), or the running search;
// clicking it offers the logs, cancelling, the dashboard and a restart.
import * as vscode from 'vscode';
import { Engine, EngineState } from './client';
import { ExtensionCommands } from './commands/ids';
import { accessibleLabel, engineDescription, progressLong, progressShort, runName } from './format';
import { RunningSearch, Searches } from './searches';

interface Look {
  text: string;
  lines: string[];
  background?: 'error' | 'warning';
}

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('esnac.status', vscode.StatusBarAlignment.Left);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly engine: Engine,
    private readonly searches: Searches,
  ) {
    this.item.name = 'esnac engine';
    this.item.command = ExtensionCommands.statusActions;
    this.subscriptions = [engine.onDidChangeState(() => this.update()), searches.onDidChange(() => this.update())];
    this.update();
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }

  private update(): void {
    const running = this.searches.list();
    // Nothing to say before the engine was ever needed.
    if (!this.engine.started && running.length === 0 && this.engine.state.kind === 'stopped') {
      this.item.hide();
      return;
    }
    const look = running.length > 0 ? searchLook(running) : engineLook(this.engine.state);
    this.item.text = look.text;
    // Plain text, not Markdown: what a screen reader reads is the words, not escapes.
    const lines = [...look.lines, 'Click for logs, cancel, dashboard, restart.'];
    this.item.tooltip = lines.join('\n');
    this.item.accessibilityInformation = { label: accessibleLabel(look.text, lines), role: 'button' };
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(`statusBarItem.${look.background}Background`) : undefined;
    this.item.show();
  }
}

function searchLook(running: RunningSearch[]): Look {
  const [first] = running;
  const more = running.length > 1 ? ` +${running.length - 1}` : '';
  const what = first.stopping ? 'stopping' : progressShort(first.progress);
  return { text: `$(loading~spin) esnac: ${what}${more}`, lines: running.map((s) => `${s.title}: ${s.stopping ? 'stopping' : progressLong(s.progress)}`) };
}

function engineLook(state: EngineState): Look {
  switch (state.kind) {
    case 'stopped':
      return { text: '$(circle-slash) esnac', lines: ['The engine is stopped.'] };
    case 'starting':
      return { text: '$(loading~spin) esnac', lines: ['The engine is starting.'] };
    case 'failed':
      return { text: '$(error) esnac', lines: [`The engine could not start: ${state.reason}`], background: 'error' };
    case 'running':
      if (!state.info) return { text: '$(loading~spin) esnac', lines: ['The engine is loading a TensorFlow.js backend.'] };
      if (!state.info.backend) return { text: '$(warning) esnac: no backend', lines: engineDescription(state.info), background: 'warning' };
      return { text: `$(pulse) esnac: ${state.info.backend.name}`, lines: engineDescription(state.info) };
  }
}

/** The status item's menu. */
export async function statusActions(engine: Engine, searches: Searches, log: vscode.LogOutputChannel): Promise<void> {
  type Action = vscode.QuickPickItem & { run(): unknown };
  const running = searches.list();
  const actions: Action[] = [
    { label: '$(output) Show engine logs', run: () => log.show() },
    ...running.flatMap((s): Action[] => [
      { label: `$(debug-stop) Cancel ${s.title}`, description: runName(s.runDir), run: () => s.cancel() },
      { label: `$(dashboard) Open dashboard`, description: runName(s.runDir), run: () => vscode.commands.executeCommand(ExtensionCommands.openDashboard, s.runDir) },
    ]),
    ...(running.length === 0 ? [{ label: '$(dashboard) Open run dashboard…', run: () => vscode.commands.executeCommand(ExtensionCommands.openDashboard) }] : []),
    { label: '$(debug-restart) Restart engine', detail: running.length > 0 ? 'Stops the running searches; they can be resumed.' : undefined, run: () => engine.restart() },
  ];
  const picked = await vscode.window.showQuickPick(actions, { title: 'esnac', placeHolder: engine.state.kind === 'failed' ? engine.state.reason : undefined });
  await picked?.run();
}
