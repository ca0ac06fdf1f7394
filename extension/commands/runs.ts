// Commands on run directories: resume a stopped run, open a run's dashboard. Without an
// argument they offer the runs esnac/listRuns finds in each workspace folder's runs folder.
import * as vscode from 'vscode';
import { RunStatus, RunSummary } from '../../protocol';
import { Engine, settingsFor } from '../client';
import { bestSummary, runName } from '../format';
import * as requests from '../requests';
import { Searches } from '../searches';
import { runsFolderPath } from '../settings';
import { uriArgument } from './target';

export async function resumeRun(arg: unknown, engine: Engine, searches: Searches, log: vscode.LogOutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('esnac: resuming a run trains networks: trust the workspace first.');
    return;
  }
  const runDir = uriArgument(arg)?.fsPath ?? (await pickRun(engine, log, 'Run to resume', ['stopped']));
  if (runDir) void searches.resume(runDir);
}

export async function openDashboard(arg: unknown, engine: Engine, log: vscode.LogOutputChannel, open: (runDir: vscode.Uri) => Promise<void>): Promise<void> {
  const runDir = uriArgument(arg)?.fsPath ?? (await pickRun(engine, log, 'Run to show', ['running', 'stopped', 'finished']));
  if (runDir) await open(vscode.Uri.file(runDir));
}

/** Each workspace folder's runs folder (esnac.runs.folder). */
export function runsFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => runsFolderPath(settingsFor(folder.uri), folder.uri.fsPath));
}

async function pickRun(engine: Engine, log: vscode.LogOutputChannel, title: string, statuses: RunStatus[]): Promise<string | undefined> {
  const folders = runsFolders();
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('esnac: runs are kept in the workspace folder: open a folder first.');
    return undefined;
  }
  const { runs, unreadable } = await engine.request(requests.listRuns, { folders });
  for (const { runDir, reason } of unreadable) log.warn(`run ${runDir} cannot be read: ${reason}`);
  const offered = runs.filter((r) => statuses.includes(r.status));
  if (offered.length === 0) {
    void vscode.window.showInformationMessage(`esnac: no ${statuses.join(' or ')} runs in ${folders.join(', ')}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(offered.map(runItem), { title, matchOnDescription: true });
  return picked?.runDir;
}

function runItem(run: RunSummary): vscode.QuickPickItem & { runDir: string } {
  return {
    runDir: run.runDir,
    label: runName(run.runDir),
    description: `${run.teacher} on ${run.dataset} · ${run.status}`,
    detail: [`${run.evaluated}/${run.total} evaluated`, run.best && bestSummary(run.best)].filter(Boolean).join(' · '),
  };
}
