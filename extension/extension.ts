// The extension's entry point (dist/extension.js): commands, the engine client, the status item
// and the panels. The engine starts when a spec file is open or a command needs it.
import * as vscode from 'vscode';
import { Commands, isSpecFileName } from '../protocol';
import { Engine } from './client';
import { compressArchitecture } from './commands/compress';
import { diffWithTeacher, showGraphDiff } from './commands/diff';
import { GitignoreOffer } from './gitignore-offer';
import { registerImportExportCommands } from './commands/import-export';
import { ExtensionCommands } from './commands/ids';
import { revealLayer } from './commands/reveal';
import { openDashboard, resumeRun } from './commands/runs';
import { specTarget } from './commands/target';
import { createLog, reportError } from './log';
import { registerPanels } from './panels';
import { Searches } from './searches';
import { ENGINE_SETTINGS } from './settings';
import { statusActions, StatusItem } from './status';
import { StudentSpecs } from './student-specs';

/** Stopped by deactivate, which VS Code awaits (disposables are not). */
let activeEngine: Engine | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  const engine = new Engine(context, log);
  activeEngine = engine;
  const searches = new Searches(engine, log);
  const panels = registerPanels(context, {
    log,
    revealLayer: (spec, layerId) => revealLayer(engine, spec, layerId),
    diffWithTeacher: (candidate) => diffWithTeacher(candidate),
  });
  const command = (id: string, run: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (err) {
        await reportError(log, `${id} failed`, err);
      }
    });
  context.subscriptions.push(
    log,
    engine,
    searches,
    new StatusItem(engine, searches),
    new StudentSpecs(),
    new GitignoreOffer(context.workspaceState, log),
    command(Commands.compressArchitecture, (arg, options) => compressArchitecture(arg, options, context.workspaceState, searches, log)),
    command(Commands.previewArchitecture, async (arg) => {
      const spec = specTarget(arg, 'Preview architecture');
      if (spec) await panels.previewArchitecture(spec);
    }),
    command(Commands.diffWithTeacher, diffWithTeacher),
    command(ExtensionCommands.showGraphDiff, (arg) => showGraphDiff(arg, (teacher, student) => panels.showGraphDiff(teacher, student))),
    command(ExtensionCommands.resumeRun, (arg) => resumeRun(arg, engine, searches, log)),
    command(ExtensionCommands.openDashboard, (arg) => openDashboard(arg, engine, log, (runDir) => panels.openDashboard(runDir))),
    command(ExtensionCommands.cancelSearch, () => cancelSearch(searches)),
    command(ExtensionCommands.showLogs, () => log.show()),
    command(ExtensionCommands.restartEngine, () => engine.restart()),
    command(ExtensionCommands.statusActions, () => statusActions(engine, searches, log)),
    vscode.workspace.onDidOpenTextDocument((document) => startFor(document, engine, log)),
    vscode.workspace.onDidChangeConfiguration((change) => offerRestart(change, engine, searches)),
  );
  registerImportExportCommands(context, log);
  vscode.workspace.textDocuments.forEach((document) => startFor(document, engine, log));
}

export async function deactivate(): Promise<void> {
  await activeEngine?.stop();
}

/** Opening a spec file starts the engine; after a failed start only a command or a restart tries again. */
function startFor(document: vscode.TextDocument, engine: Engine, log: vscode.LogOutputChannel): void {
  if (engine.started || engine.state.kind === 'failed' || document.uri.scheme !== 'file' || !isSpecFileName(document.uri.path)) return;
  engine.ready().catch((err: unknown) => reportError(log, 'the engine could not start', err));
}

async function cancelSearch(searches: Searches): Promise<void> {
  const running = searches.list().filter((s) => !s.stopping);
  if (running.length === 0) {
    void vscode.window.showInformationMessage('esnac: no search is running.');
    return;
  }
  const picked =
    running.length === 1 ? running[0] : await vscode.window.showQuickPick(running.map((s) => ({ label: s.title, search: s })), { title: 'Search to cancel' }).then((p) => p?.search);
  picked?.cancel();
}

async function offerRestart(change: vscode.ConfigurationChangeEvent, engine: Engine, searches: Searches): Promise<void> {
  if (!engine.started || !ENGINE_SETTINGS.some((key) => change.affectsConfiguration(key))) return;
  const stops = searches.list().length > 0 ? ' (running searches stop; they can be resumed)' : '';
  const choice = await vscode.window.showInformationMessage(`esnac: engine settings changed. Restart the engine to use them${stops}?`, 'Restart engine');
  if (choice) await engine.restart();
}
