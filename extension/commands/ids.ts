// The extension's own command ids (the ones the engine's CodeLenses invoke are protocol `Commands`).
export const ExtensionCommands = {
  /** Open the graph diff of the active text diff, or of a candidate and its teacher. */
  showGraphDiff: 'esnac.showGraphDiff',
  /** Pick a stopped run (esnac/listRuns) and continue it; an argument names the run directory. */
  resumeRun: 'esnac.resumeRun',
  /** Open a run's dashboard; an argument names the run directory. */
  openDashboard: 'esnac.openDashboard',
  cancelSearch: 'esnac.cancelSearch',
  showLogs: 'esnac.showLogs',
  restartEngine: 'esnac.restartEngine',
  /** The status bar item's menu. */
  statusActions: 'esnac.statusActions',
  /** Import an .onnx file (the argument, else picked) as a spec file and optionally a weights folder. */
  importOnnx: 'esnac.importOnnx',
  /** Export a spec (the argument, a Uri or path, else the active editor's) to PyTorch or ONNX. */
  exportStudent: 'esnac.exportStudent',
} as const;

/** Context keys the extension sets for package.json's when-clauses. */
export const ContextKeys = {
  /** The paths of the workspace's spec files that are students of a teacher (engine/run/student). */
  studentSpecs: 'esnac.studentSpecs',
} as const;
