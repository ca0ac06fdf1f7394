// The extension's webview panels: architecture graph, graph diff and run dashboard. One panel
// per spec, pair or run (opening it again reveals it), each restored after a window reload by a
// WebviewPanelSerializer from the subject its webview keeps in its state.
import * as vscode from 'vscode';
import type { RunStatus, SearchProgressParams } from '../../protocol';
import { PanelSubject, ViewTypes, WebviewState } from '../../protocol/webview';
import { DashboardPanel } from './dashboard-panel';
import { DiffPanel } from './diff-panel';
import { GraphPanel } from './graph-panel';
import { webviewOptions } from './webview-panel';

export interface PanelHost {
  log: vscode.LogOutputChannel;
  /** Opens a spec file with the layer's id selected. */
  revealLayer(spec: vscode.Uri, layerId: string): Promise<void>;
  /** Runs the built-in text diff between a candidate and its teacher. */
  diffWithTeacher(candidate: vscode.Uri): Promise<void>;
  /** What the engine says of runs, and the progress of those this window runs. */
  runs: RunStates;
}

export interface RunStates {
  /** The engine's answer (esnac/runState): running in any process, finished, or stopped. */
  status(runDir: string): Promise<RunStatus>;
  /** The latest progress of a search this window runs. */
  progress(runDir: string): SearchProgressParams | undefined;
  /** A search of this window started, progressed or ended. */
  onDidChange: vscode.Event<void>;
}

export interface Panels extends vscode.Disposable {
  /** Graph preview beside the editor; follows edits of the document live (debounced). */
  previewArchitecture(spec: vscode.Uri): Promise<void>;
  /** Graph diff of a candidate against its teacher (candidate.teacherPath). */
  showGraphDiff(teacher: vscode.Uri, student: vscode.Uri): Promise<void>;
  /** Dashboard of a run directory (reads run.json + journal.jsonl; watches the journal for new lines). */
  openDashboard(runDir: vscode.Uri): Promise<void>;
}

/** What every panel class needs from its surroundings. */
export interface PanelContext {
  extensionUri: vscode.Uri;
  host: PanelHost;
  panels: Panels;
}

interface OpenPanel extends vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  update(): void | Promise<void>;
}

export function registerPanels(context: vscode.ExtensionContext, host: PanelHost): Panels {
  const open = new Map<string, OpenPanel>();
  const disposables: vscode.Disposable[] = [];

  /** Keeps a panel under its key until it closes, and draws it. */
  const adopt = async (key: string, created: OpenPanel): Promise<void> => {
    open.set(key, created);
    created.panel.onDidDispose(() => {
      open.delete(key);
      created.dispose();
    });
    await created.update();
  };

  /** The panel already showing `key`, revealed; else a new one made by `make`. */
  const show = async (key: string, viewType: string, column: vscode.ViewColumn, make: (panel: vscode.WebviewPanel) => OpenPanel): Promise<void> => {
    const existing = open.get(key);
    if (existing) {
      existing.panel.reveal(column, true);
      await existing.update();
      return;
    }
    const panel = vscode.window.createWebviewPanel(viewType, 'esnac', { viewColumn: column, preserveFocus: true }, webviewOptions(context.extensionUri));
    await adopt(key, make(panel));
  };

  const panels: Panels = {
    previewArchitecture: (spec) => show(keyOf({ kind: 'graph', spec: spec.toString() }), ViewTypes.graph, vscode.ViewColumn.Beside, (p) => new GraphPanel(p, spec, panelContext)),
    showGraphDiff: (teacher, student) =>
      show(keyOf({ kind: 'graphDiff', teacher: teacher.toString(), student: student.toString() }), ViewTypes.graphDiff, vscode.ViewColumn.Active, (p) => new DiffPanel(p, teacher, student, panelContext)),
    openDashboard: (runDir) => show(keyOf({ kind: 'dashboard', runDir: runDir.toString() }), ViewTypes.dashboard, vscode.ViewColumn.Active, (p) => new DashboardPanel(p, runDir, panelContext)),
    dispose: () => {
      for (const p of [...open.values()]) p.panel.dispose();
      for (const d of disposables) d.dispose();
    },
  };
  const panelContext: PanelContext = { extensionUri: context.extensionUri, host, panels };

  const revive = (subject: PanelSubject, panel: vscode.WebviewPanel): OpenPanel => {
    switch (subject.kind) {
      case 'graph':
        return new GraphPanel(panel, vscode.Uri.parse(subject.spec), panelContext);
      case 'graphDiff':
        return new DiffPanel(panel, vscode.Uri.parse(subject.teacher), vscode.Uri.parse(subject.student), panelContext);
      case 'dashboard':
        return new DashboardPanel(panel, vscode.Uri.parse(subject.runDir), panelContext);
    }
  };
  for (const [kind, viewType] of [
    ['graph', ViewTypes.graph],
    ['graphDiff', ViewTypes.graphDiff],
    ['dashboard', ViewTypes.dashboard],
  ] as const) {
    disposables.push(
      vscode.window.registerWebviewPanelSerializer(viewType, {
        async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: WebviewState | undefined) {
          const subject = state?.subject;
          // A panel closed before its webview learnt what it shows has nothing to restore.
          if (subject?.kind !== kind || open.has(keyOf(subject))) return panel.dispose();
          await adopt(keyOf(subject), revive(subject, panel));
        },
      }),
    );
  }
  context.subscriptions.push(panels);
  return panels;
}

function keyOf(subject: PanelSubject): string {
  return JSON.stringify(subject);
}
