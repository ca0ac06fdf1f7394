// Searches this window started: each is one cancellable engine request (esnac/startSearch or
// esnac/resumeRun) shown as a notification with progress and Cancel, updated from
// esnac/searchProgress. Cancelling sends $/cancelRequest; the engine answers once the run
// directory is consistent, so a cancelled run can be resumed.
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import { Commands, SearchProgressParams, SearchResult, StartSearchParams } from '../protocol';
import { Engine, settingsFor } from './client';
import { ExtensionCommands } from './commands/ids';
import { bestSummary, progressFraction, progressMessage, runName } from './format';
import { reportError } from './log';
import * as requests from './requests';

export interface RunningSearch {
  runDir: string;
  title: string;
  progress?: SearchProgressParams;
  /** Cancel was asked; the engine is bringing the run directory to a resumable state. */
  readonly stopping: boolean;
  cancel(): void;
}

interface Tracked extends RunningSearch {
  /** Moves the notification's bar and text. */
  report(progress: SearchProgressParams): void;
  /** Settles once the engine answered (the search is no longer this window's). */
  readonly ended: Promise<void>;
}

export class Searches implements vscode.Disposable {
  private readonly running = new Map<string, Tracked>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  private readonly subscriptions: vscode.Disposable[] = [];

  /** A search started, progressed or ended. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly engine: Engine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = engine.onProgress((progress) => {
      const search = this.running.get(resolve(progress.runDir));
      if (!search) return;
      search.progress = progress;
      search.report(progress);
      this.changed.fire();
    });
  }

  list(): RunningSearch[] {
    return [...this.running.values()];
  }

  /** The latest progress of the search this window runs in `runDir`. */
  progressOf(runDir: string): SearchProgressParams | undefined {
    return this.running.get(resolve(runDir))?.progress;
  }

  /**
   * Starts a new search; `params.runDir` is where it goes (picked by the client, see
   * newRunDirectory). With `openDashboard`, its dashboard opens once the run directory is made.
   */
  start(params: StartSearchParams & { runDir: string }, teacherName: string, openDashboard = false): Promise<void> {
    if (openDashboard) {
      const key = resolve(params.runDir);
      const opened = this.engine.onProgress((progress) => {
        if (resolve(progress.runDir) !== key) return;
        opened.dispose();
        void vscode.commands.executeCommand(ExtensionCommands.openDashboard, vscode.Uri.file(key));
      });
      this.subscriptions.push(opened);
    }
    return this.run(params.runDir, `Compressing ${teacherName}`, (token) => this.engine.request(requests.startSearch, params, token));
  }

  resume(runDir: string): Promise<void> {
    const { backend } = settingsFor();
    const params = { runDir, ...(backend === 'auto' ? {} : { backend }) };
    return this.run(runDir, `Resuming ${runName(runDir)}`, (token) => this.engine.request(requests.resumeRun, params, token));
  }

  dispose(): void {
    for (const search of this.running.values()) search.cancel();
    this.subscription.dispose();
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }

  private async run(runDir: string, title: string, send: (token: vscode.CancellationToken) => Promise<SearchResult>): Promise<void> {
    const key = resolve(runDir);
    // Resume right after Cancel: the run's lock is let go a moment before the engine answers.
    const stopping = this.running.get(key);
    if (stopping?.stopping) await stopping.ended;
    if (this.running.has(key)) {
      void vscode.window.showInformationMessage(`esnac: ${runName(runDir)} is running already`);
      return;
    }
    const cancellation = new vscode.CancellationTokenSource();
    let end!: () => void;
    const search: Tracked = {
      runDir: key,
      title,
      ended: new Promise<void>((resolveEnded) => (end = resolveEnded)),
      get stopping() {
        return cancellation.token.isCancellationRequested;
      },
      cancel: () => {
        cancellation.cancel();
        this.changed.fire();
      },
      report: () => undefined,
    };
    this.running.set(key, search);
    this.changed.fire();
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `esnac: ${title}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => search.cancel());
          let reported = 0;
          search.report = (p) => {
            const fraction = progressFraction(p);
            progress.report({ message: progressMessage(p), increment: Math.max(0, 100 * (fraction - reported)) });
            reported = Math.max(reported, fraction);
          };
          return send(cancellation.token);
        },
      );
      void this.announce(result);
    } catch (err) {
      await reportError(this.log, `${title} failed`, err);
    } finally {
      this.running.delete(key);
      cancellation.dispose();
      end();
      this.changed.fire();
    }
  }

  private async announce(result: SearchResult): Promise<void> {
    const name = runName(result.runDir);
    const open = (command: string, ...args: unknown[]) => vscode.commands.executeCommand(command, ...args);
    if (result.cancelled) {
      const choice = await vscode.window.showInformationMessage(`esnac: ${name} stopped; it can be resumed.`, 'Resume', 'Open dashboard');
      if (choice === 'Resume') await open(ExtensionCommands.resumeRun, result.runDir);
      if (choice === 'Open dashboard') await open(ExtensionCommands.openDashboard, result.runDir);
      return;
    }
    if (!result.best) {
      const choice = await vscode.window.showWarningMessage(`esnac: ${name} finished without a student: no candidate trained.`, 'Show logs', 'Open dashboard');
      if (choice === 'Show logs') this.log.show();
      if (choice === 'Open dashboard') await open(ExtensionCommands.openDashboard, result.runDir);
      return;
    }
    const student = vscode.Uri.file(result.best.spec);
    const choice = await vscode.window.showInformationMessage(`esnac: ${name} finished; ${bestSummary(result.best)}. Files in ${result.runDir} (${basename(result.best.spec)}, best.weights, report.md).`, 'Open', 'Preview', 'Diff', 'Reveal');
    if (choice === 'Open') await vscode.window.showTextDocument(student);
    if (choice === 'Preview') await open(Commands.previewArchitecture, student);
    if (choice === 'Reveal') await open('revealInExplorer', student);
    if (choice === 'Diff') await open(Commands.diffWithTeacher, student);
  }
}
