// The esnac protocol: the custom LSP requests and notifications between the VS Code extension
// (client) and the engine (server), and the types the webview shares with both. Plain method
// names and interfaces only, importing nothing (no vscode, DOM, Node or engine code), so every
// side can load it; each side wraps the names in its own RequestType / NotificationType.
//
// Paths are absolute file system paths: the engine runs where the files are (extensionKind
// workspace), so the client converts URIs with `uri.fsPath`. Standard LSP messages (diagnostics,
// hover, CodeLens...) use URIs as usual.

// ---- spec files ----

/** The spec files the engine serves language features for; other JSON/YAML files are not ours. */
export const SPEC_FILE_GLOB = '**/*.arch.{json,yaml,yml}';

/** Same test as SPEC_FILE_GLOB, for a path or URI. */
export function isSpecFileName(name: string): boolean {
  return /\.arch\.(json|ya?ml)$/i.test(name);
}

/**
 * VS Code commands the extension registers and the engine's CodeLenses invoke, each with the
 * spec document's URI (a string) as the only argument.
 */
export const Commands = {
  /** Open the architecture graph of the document. */
  previewArchitecture: 'esnac.previewArchitecture',
  /** Ask for a dataset and settings, then start `esnac/startSearch` with the document as teacher. */
  compressArchitecture: 'esnac.compressArchitecture',
  /** Diff a candidate spec with the teacher its `candidate.teacherPath` names. */
  diffWithTeacher: 'esnac.diffWithTeacher',
} as const;

// ---- search settings and run records (the run directory's files, as sent over the wire) ----

/** engine/run/settings.ts SearchSettings; a request may give any subset. */
export interface SearchSettings {
  method: 'bo' | 'random';
  seed: number;
  steps: number;
  kernels: number;
  acquisitionSamples: number;
  acquisitionOptimizer: 'random' | 'evolution';
  subsetProbability: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  distillation: 'mse' | 'kl';
  temperature: number;
  inheritWeights: boolean;
  operators: { removal: boolean; shrink: boolean; skip: boolean };
  kernelFit: { maxSteps: number; learningRate: number; weightDecay: number; lstmLayers: number; hidden: number };
  teacherEpochs: number;
  finetuneTop: number;
  finetuneEpochs: number;
  budgetMinutes: number;
  limitTrain: number;
  limitValidation: number;
  workers: number;
  /** engine/evaluation/settings.ts EvaluatorSettings: who trains the candidates. */
  evaluator: {
    kind: 'auto' | 'pytorch' | 'local' | 'command' | 'slurm';
    python: string;
    autocast: boolean;
    command: string;
    shell: boolean;
    jobTemplate: string;
    timeoutMinutes: number;
    retries: number;
    pollSeconds: number;
  };
}

export type BackendChoice = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** One line of a run's journal.jsonl (engine/run/journal.ts); paths in it are relative to the run. */
export type JournalEntry =
  | { type: 'teacher'; accuracy: number; params: number; weights: string; trained: boolean; seconds: number }
  | {
      type: 'candidate';
      step: number;
      name: string;
      key: string;
      spec: string;
      action: Record<string, unknown>;
      proposedBy: string;
      status: 'ok' | 'failed';
      params: number;
      accuracy?: number;
      f?: number;
      reason?: string;
      seconds: number;
      backend?: string;
      weights?: string;
    }
  | { type: 'kernels'; step: number; files: string[]; seconds: number }
  | { type: 'finetune'; name: string; status: 'ok' | 'failed'; accuracy?: number; f?: number; epochs: number; weights?: string; reason?: string; seconds: number }
  | { type: 'done'; best: string; bestSpec: string; f: number };

/** The best student of a run so far. */
export interface BestCandidate {
  name: string;
  /** Its spec file (absolute). */
  spec: string;
  f: number;
  accuracy: number;
  params: number;
}

// ---- requests ----

/** Request, client -> server: compress a teacher; resolves when the search ends or is cancelled. */
export const StartSearch = 'esnac/startSearch';

export interface StartSearchParams {
  /** The teacher spec file. */
  teacher: string;
  /** mnist, fashion-mnist[:DIR], cifar10:DIR, cifar100:DIR. */
  dataset: string;
  /** A folder written by `esnac train`; absent: the teacher is trained first. */
  teacherWeights?: string;
  /** A new run directory; default <workspaceRoot>/esnac-runs/<teacher>-<stamp>. */
  runDir?: string;
  /** The workspace folder default run directories go under. */
  workspaceRoot?: string;
  settings?: Partial<SearchSettings>;
  backend?: BackendChoice;
  /** Kernel transfer: another run directory whose saved kernels propose candidates. */
  kernelsFrom?: string;
}

/**
 * The result of esnac/startSearch and esnac/resumeRun; meanwhile the search reports through
 * the notifications below. A cancelled search (LSP $/cancelRequest) still answers, with
 * `cancelled: true`, once its run directory is consistent again: it can then be resumed. A
 * problem the user can fix (no such dataset, a run directory in use) is an InvalidParams error
 * whose message says what to do; other failures are InternalError with the engine's stack.
 */
export interface SearchResult {
  runDir: string;
  best?: BestCandidate;
  cancelled: boolean;
}

/** Request, client -> server: continue a stopped run to its end; cancellable like esnac/startSearch. */
export const ResumeRun = 'esnac/resumeRun';

export interface ResumeRunParams {
  runDir: string;
  /** Default: the backend recorded in run.json. */
  backend?: BackendChoice;
}

/** Request, client -> server: the run directories (folders holding run.json) directly under each folder. */
export const ListRuns = 'esnac/listRuns';

export interface ListRunsParams {
  /** The configured runs folders, e.g. <workspace>/esnac-runs; missing folders list nothing. */
  folders: string[];
}

export type RunStatus = 'running' | 'finished' | 'stopped';

export interface RunSummary {
  runDir: string;
  teacher: string;
  dataset: string;
  createdAt: string;
  /** `running` in this engine, `finished` (best.arch.yaml written), else `stopped` (resumable). */
  status: RunStatus;
  /** Candidates evaluated so far, out of steps x kernels. */
  evaluated: number;
  total: number;
  best?: BestCandidate;
}

export interface ListRunsResult {
  runs: RunSummary[];
  /** Folders with a run.json that could not be read, and why. */
  unreadable: { runDir: string; reason: string }[];
}

/** Request, client -> server: everything recorded about one run. */
export const RunState = 'esnac/runState';

export interface RunStateParams {
  runDir: string;
}

export interface RunStateResult extends RunSummary {
  /** The teacher spec copied into the run (absolute). */
  teacherSpec: string;
  settings: SearchSettings;
  backend: string;
  versions: Record<string, string>;
  journal: JournalEntry[];
}

/** Request, client -> server: the EngineInfoParams that esnac/engineInfo announces, waiting for it if needed. */
export const GetEngineInfo = 'esnac/getEngineInfo';

// ---- notifications ----

/** Notification, server -> client: sent once after `initialized`, when the engine knows its backend. */
export const EngineInfo = 'esnac/engineInfo';

export interface EngineInfoParams {
  esnacVersion: string;
  nodeVersion: string;
  /** The TensorFlow.js backend searches will use; absent when none loaded (`error` says why). */
  backend?: {
    name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
    /** What runs the maths, e.g. 'wasm (SIMD, esnac training kernels)'. */
    detail: string;
    tfjsVersion: string;
    /** Better backends that did not load, and why. */
    skipped: { name: string; reason: string }[];
  };
  error?: string;
}

/** Notification, server -> client: a search (or resume) has its run directory; sent before any progress. */
export const SearchStarted = 'esnac/searchStarted';

export interface SearchStartedParams {
  runDir: string;
}

/** Notification, server -> client: where a running search is, after each phase change and evaluation. */
export const SearchProgress = 'esnac/searchProgress';

export interface SearchProgressParams {
  runDir: string;
  phase: 'proposing' | 'evaluating' | 'finetuning' | 'done';
  step: number;
  steps: number;
  evaluated: number;
  total: number;
  /** Best reward f so far, and the candidate that has it. */
  bestF?: number;
  best?: string;
  /** Estimated seconds left. */
  etaSeconds?: number;
}

/** Notification, server -> client: one candidate was trained and measured (or failed). */
export const CandidateEvaluated = 'esnac/candidateEvaluated';

export interface CandidateEvaluatedParams {
  runDir: string;
  step: number;
  name: string;
  /** Its spec file (absolute). */
  spec: string;
  params: number;
  status: 'ok' | 'failed';
  accuracy?: number;
  f?: number;
  /** Why it failed. */
  reason?: string;
  seconds: number;
}

/** Notification, server -> client: a line for the esnac output channel (search steps, backend, failures). */
export const Log = 'esnac/log';

export interface LogParams {
  level: 'info' | 'warning' | 'error';
  message: string;
  /** The search it is about, if any. */
  runDir?: string;
}
