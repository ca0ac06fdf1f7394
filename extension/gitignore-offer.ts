// When a run directory appears (its run.json is created) in a runs folder that git does not
// ignore, offer once per session to add the folder to .gitignore (engine/run/gitignore), with a
// "Don't ask again" that the workspace remembers.
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { addIgnoreEntry, gitignoreAdvice } from '../engine/run/gitignore';
import { reportError } from './log';

const DONT_ASK_KEY = 'esnac.gitignore.dontAsk';
const ADD = 'Add to .gitignore';
const DONT_ASK = "Don't ask again";

export class GitignoreOffer implements vscode.Disposable {
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/run.json', false, true, true);
  private offered = false;

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.watcher.onDidCreate((manifest) => void this.offer(manifest).catch((err: unknown) => reportError(log, 'checking whether git ignores the runs folder failed', err)));
  }

  dispose(): void {
    this.watcher.dispose();
  }

  private async offer(manifest: vscode.Uri): Promise<void> {
    if (this.offered || manifest.scheme !== 'file' || this.state.get<boolean>(DONT_ASK_KEY)) return;
    const runsFolder = dirname(dirname(manifest.fsPath));
    const advice = await gitignoreAdvice(runsFolder);
    if (!advice || this.offered) return;
    this.offered = true;
    const folder = vscode.workspace.asRelativePath(runsFolder);
    const choice = await vscode.window.showInformationMessage(
      `esnac: git does not ignore ${folder}, so its runs (weights, hundreds of candidates) would go into commits. Add ${advice.entry} to .gitignore?`,
      ADD,
      DONT_ASK,
    );
    if (choice === DONT_ASK) await this.state.update(DONT_ASK_KEY, true);
    if (choice !== ADD) return;
    addIgnoreEntry(advice);
    this.log.info(`added ${advice.entry} to ${advice.gitignore}`);
  }
}
