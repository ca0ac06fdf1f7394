// The Runs view in the esnac side bar: the run directories under each workspace folder's runs
// folder, as the engine lists them (esnac/listRuns: running in any process, finished, stopped),
// with the live progress of the searches this window runs and, for runs another process holds
// (a terminal's esnac compress, another window), the progress that process keeps in the run
// folder. Listed again when a search of this window moves, when a run's files appear or go, and
// every few seconds while one runs, so a run killed elsewhere shows as stopped within seconds.
// Cancel stops a run of this window here, another process's through the engine (SIGINT to it).
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RunSummary } from '../protocol';
import { Engine } from './client';
import { runsFolders } from './commands/runs';
import { ExtensionCommands } from './commands/ids';
import { errorHeadline, runItemText, runName } from './format';
import * as requests from './requests';
import { Searches } from './searches';

export const RUNS_VIEW = 'esnac.runs';
/** While a listed run runs, the engine is asked again this often. */
const RUNNING_POLL_MS = 2_000;
const REFRESH_DEBOUNCE_MS = 300;

/** One run in the view; `resourceUri` is its folder, so commands taking a run directory take the item. */
export class RunItem extends vscode.TreeItem {
  constructor(
    readonly run: RunSummary,
    /** This window runs it: it can be cancelled here. */
    readonly here: boolean,
    description: string,
    tooltip: string,
  ) {
    super(runName(run.runDir), vscode.TreeItemCollapsibleState.None);
    this.resourceUri = vscode.Uri.file(run.runDir);
    this.description = description;
    this.tooltip = tooltip;
    this.id = run.runDir;
    // esnacRun.running.here, esnacRun.running, esnacRun.stopped, esnacRun.finished: the menus' when-clauses.
    this.contextValue = `esnacRun.${run.status}${here ? '.here' : ''}`;
    this.iconPath = new vscode.ThemeIcon(run.status === 'running' ? 'loading~spin' : run.status === 'finished' ? 'pass' : 'debug-pause');
    this.command = { command: ExtensionCommands.openDashboard, title: 'Open run dashboard', arguments: [this.resourceUri] };
    this.accessibilityInformation = { label: `${runName(run.runDir)}, ${run.status}, ${description}` };
  }
}

export class RunsView implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private poll?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private watchers: vscode.Disposable[] = [];
  /** The runs last listed, for the commands' checks. */
  private listed: RunSummary[] = [];
  /** Runs of other processes asked to stop, until they are listed stopped. */
  private readonly stopping = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly searches: Searches,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.changed,
      searches.onDidChange(() => this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()),
      vscode.workspace.onDidChangeConfiguration((change) => change.affectsConfiguration('esnac.runs.folder') && this.watch()),
    );
    this.watch();
  }

  /** Lists again soon (several causes at once make one listing). */
  refresh(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.changed.fire(), REFRESH_DEBOUNCE_MS);
  }

  /** The run as last listed, if it was. */
  summary(runDir: string): RunSummary | undefined {
    return this.listed.find((r) => r.runDir === runDir);
  }

  /** Asks the process running `runDir` elsewhere to stop (the engine checks it is that process). */
  async cancelElsewhere(runDir: string): Promise<void> {
    const { pid } = await this.engine.request(requests.cancelRun, { runDir });
    this.log.info(`asked process ${pid} to stop ${runDir}`);
    this.stopping.add(runDir);
    this.refresh();
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(item?: RunItem): Promise<RunItem[]> {
    if (item) return [];
    clearTimeout(this.poll);
    // No runs folder on disk: nothing to list, and no reason to start the engine for it.
    const folders = runsFolders().filter((folder) => existsSync(folder));
    if (folders.length === 0) {
      this.listed = [];
      return [];
    }
    let runs: RunSummary[];
    try {
      const listed = await this.engine.request(requests.listRuns, { folders });
      for (const { runDir, reason } of listed.unreadable) this.log.warn(`run ${runDir} cannot be read: ${reason}`);
      runs = listed.runs;
    } catch (err) {
      this.log.warn(`the Runs view could not list the runs: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    this.listed = runs;
    for (const runDir of this.stopping) if (runs.find((r) => r.runDir === runDir)?.status !== 'running') this.stopping.delete(runDir);
    if (runs.some((r) => r.status === 'running')) this.poll = setTimeout(() => this.changed.fire(), RUNNING_POLL_MS);
    const mine = new Map(this.searches.list().map((s) => [s.runDir, s]));
    return runs.map((run) => {
      const search = mine.get(run.runDir);
      const { description, tooltip } = runItemText(run, search, this.stopping.has(run.runDir));
      return new RunItem(run, search !== undefined, description, tooltip);
    });
  }

  dispose(): void {
    clearTimeout(this.poll);
    clearTimeout(this.debounce);
    this.watchers.forEach((w) => w.dispose());
    this.disposables.forEach((d) => d.dispose());
  }

  /** Watches each runs folder for runs appearing, going, locking and ending. */
  private watch(): void {
    this.watchers.forEach((w) => w.dispose());
    this.watchers = runsFolders().flatMap((folder) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '*/{run.json,esnac.lock,journal.jsonl}'));
      const changed = () => this.refresh();
      return [watcher, watcher.onDidCreate(changed), watcher.onDidDelete(changed), watcher.onDidChange(changed)];
    });
    this.refresh();
  }
}

/** The Runs view's own commands: cancel a run (this window's or another process's), reveal its folder, delete it (asking first). */
export function registerRunsView(view: RunsView, searches: Searches): vscode.Disposable[] {
  const runOf = (arg: unknown) => (arg instanceof RunItem ? arg.run.runDir : arg instanceof vscode.Uri ? arg.fsPath : undefined);
  return [
    vscode.window.createTreeView(RUNS_VIEW, { treeDataProvider: view, showCollapseAll: false }),
    view,
    vscode.commands.registerCommand(ExtensionCommands.refreshRuns, () => view.refresh()),
    vscode.commands.registerCommand(ExtensionCommands.revealRun, async (arg: unknown) => {
      const runDir = runOf(arg);
      if (runDir) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(runDir));
    }),
    vscode.commands.registerCommand(ExtensionCommands.cancelRun, async (arg: unknown) => {
      const runDir = runOf(arg);
      if (!runDir) return;
      const here = searches.list().find((s) => s.runDir === runDir);
      if (here) return here.cancel();
      await view.cancelElsewhere(runDir).catch((err: unknown) => void vscode.window.showErrorMessage(`esnac: ${runName(runDir)} could not be cancelled: ${errorHeadline(err)}`));
    }),
    vscode.commands.registerCommand(ExtensionCommands.deleteRun, async (arg: unknown) => {
      const runDir = runOf(arg);
      if (!runDir) return;
      if (view.summary(runDir)?.status === 'running') {
        void vscode.window.showWarningMessage(`esnac: ${runName(runDir)} is running: cancel it before deleting it.`);
        return;
      }
      const choice = await vscode.window.showWarningMessage(`Delete the run ${runName(runDir)} and all its files (${runDir})?`, { modal: true }, 'Delete');
      if (choice !== 'Delete') return;
      const uri = vscode.Uri.file(runDir);
      // Remote hosts (code-server, SSH) may have no trash: then it is deleted for good, as the question said.
      await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true }).then(undefined, () => vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false }));
      view.refresh();
    }),
  ];
}
