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

// The one definition of each setting; the defaults are engine/run/settings.ts DEFAULT_SETTINGS.

/** How one network is trained: search-time candidates, the teacher, fine-tuning, `esnac train`. */
export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
}

/** Who trains the candidates of a search; `auto` is pytorch when a Python with torch >= 1.13 is found, else local. */
export const EVALUATOR_KINDS = ['auto', 'pytorch', 'local', 'command', 'slurm'] as const;
export type EvaluatorKind = (typeof EVALUATOR_KINDS)[number];

/** Which evaluator trains the candidates of a run, recorded in run.json with the other settings. */
export interface EvaluatorSettings {
  kind: EvaluatorKind;
  /** pytorch and auto: the Python interpreter; '' = ESNAC_PYTHON, else the first python3/python with torch >= 1.13. */
  python: string;
  /** pytorch on CUDA: autocast (bf16 where supported, else fp16 with a gradient scaler). */
  autocast: boolean;
  /**
   * command and slurm: the command run per candidate, with {placeholders} (engine/evaluation/
   * template.ts PLACEHOLDERS). Split into arguments like a shell would, never run by one.
   */
  command: string;
  /** Run `command` with /bin/sh -c instead (pipes, `&&`, variables); placeholders are still quoted. */
  shell: boolean;
  /** slurm: the job script template file; '' = evaluators/slurm/job.sbatch.template. */
  jobTemplate: string;
  /** A candidate still running after this many minutes fails (0 = no limit); for Slurm, minutes running, not queued. */
  timeoutMinutes: number;
  /** A failed evaluation is tried again this many times before it is recorded as failed. */
  retries: number;
  /** slurm: seconds between two looks at the queue (one squeue call for all jobs of the run). */
  pollSeconds: number;
}

/**
 * What a network's input is made of: pixels scaled to [0, 1], then (x - mean[c]) / std[c]. Chosen
 * per run (engine/data/preprocessing.ts), recorded in run.json and with trained weights.
 */
export interface Normalisation {
  /** How the numbers were chosen: `dataset`, `none`, `imagenet`, or `MEAN/STD` as given. */
  rule: string;
  mean: number[];
  std: number[];
}

/** One line: `normalisation dataset: mean [...], std [...] (pixels in [0, 1])`. */
export function describeNormalisation(n: Normalisation): string {
  const numbers = (values: number[]) => `[${values.map((v) => Number(v.toFixed(4))).join(', ')}]`;
  return `normalisation ${n.rule}: mean ${numbers(n.mean)}, std ${numbers(n.std)} (pixels in [0, 1])`;
}

/** The cost a search compresses: C = 1 - cost / cost(teacher) (engine/cost). */
export const OBJECTIVES = ['params', 'macs', 'latency'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** Upper bounds on costs and a lower bound on teacher cost / candidate cost; 0 = none. */
export interface Budgets {
  maxParams: number;
  maxMacs: number;
  maxLatencyMs: number;
  /** Times smaller, in the objective's cost (for latency: times faster). */
  minRatio: number;
}

/** Where latency is timed: the ONNX export on onnxruntime (this machine's CPU), or the PyTorch trainer's device. */
export const LATENCY_DEVICES = ['onnxruntime', 'pytorch'] as const;
export type LatencyDevice = (typeof LATENCY_DEVICES)[number];

/** How latency is measured: the ONNX export timed by onnxruntime here, a PyTorch worker on the trainer's device, or the user's command. */
export interface LatencySettings {
  /** Ignored when `command` is set. */
  device: LatencyDevice;
  /** Images per timed run. */
  batchSize: number;
  /** onnxruntime's intra-op threads; the PyTorch worker's torch threads on the CPU. */
  threads: number;
  /** Untimed runs first. */
  warmup: number;
  /** Timed runs; the median is the latency. */
  repeats: number;
  /** A command template given {onnx} that prints milliseconds; empty: onnxruntime here. */
  command: string;
}

/** A latency measured by timing repeated runs (or predicted from the per-layer table). */
export interface Latency {
  /** Median milliseconds per batch. */
  ms: number;
  /** Half the spread of the middle half of the repeats (interquartile range / 2), in ms. */
  noiseMs: number;
}

export type SearchMethod = 'bo' | 'random';
/** How training batches are augmented: `auto` follows the dataset's kind. */
export const AUGMENT_CHOICES = ['auto', 'none', 'crop-flip'] as const;
export type AugmentChoice = (typeof AUGMENT_CHOICES)[number];
export type DistillationLoss = 'mse' | 'kl';
export type AcquisitionOptimizer = 'random' | 'evolution';

/**
 * The settings of a search, recorded in run.json; a request may give any subset. Its training
 * settings are the search-time training of each candidate, with distillation from the teacher.
 */
export interface SearchSettings extends TrainingSettings {
  method: SearchMethod;
  /** The cost in C = 1 - cost / cost(teacher): params (the paper), MACs or measured latency. */
  objective: Objective;
  /** Candidates breaking one are never proposed. */
  budgets: Budgets;
  /** How latency is measured (objective latency, or a latency budget). */
  latency: LatencySettings;
  seed: number;
  /** Search steps. Step 1 evaluates K random candidates; steps 2..T are BO steps (T x K in all, as the authors' 20 x 8 = 160). */
  steps: number;
  /** Kernels per BO step, and candidates evaluated per step. */
  kernels: number;
  /** Candidates each kernel scores to maximise its acquisition. */
  acquisitionSamples: number;
  /** How they are chosen: at random (the authors' default) or by an evolutionary search. */
  acquisitionOptimizer: AcquisitionOptimizer;
  /** Probability a point is kept in a kernel's bagged subset. */
  subsetProbability: number;
  distillation: DistillationLoss;
  temperature: number;
  /** Start candidates from the teacher's weights (the authors' default) or from scratch. */
  inheritWeights: boolean;
  /** Operators, for the paper's ablations. */
  operators: { removal: boolean; shrink: boolean; skip: boolean };
  /** Kernel fitting. */
  kernelFit: { maxSteps: number; learningRate: number; weightDecay: number; lstmLayers: number; hidden: number };
  /** Teacher training when no weights are given. */
  teacherEpochs: number;
  /** Top candidates fine-tuned with cross-entropy at the end (0 = none). */
  finetuneTop: number;
  finetuneEpochs: number;
  /** Stop starting new steps after this many minutes (0 = no limit). */
  budgetMinutes: number;
  /**
   * How pixels are normalised: `dataset` (the training split's statistics), `none`, `imagenet` or
   * `MEAN/STD` (engine/data/preprocessing.ts). Unset in a request, a teacher's recorded
   * normalisation wins over the default.
   */
  normalise: string;
  /** Training batches: `auto` (crop + flip for natural images, none for digits), `none`, `crop-flip`. */
  augment: AugmentChoice;
  /** Limit training / validation examples (0 = all): for demos on small machines. */
  limitTrain: number;
  limitValidation: number;
  /** Parallel evaluations (0 = the evaluator's default). */
  workers: number;
  /** Who trains the candidates: PyTorch workers, the local tfjs workers, a command, or Slurm jobs. */
  evaluator: EvaluatorSettings;
}

export type BackendChoice = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

// ---- the run journal: one event a line of a run's journal.jsonl (engine/run/journal.ts) ----

/** Teacher accuracy, measured once on the validation split. */
export interface TeacherEvent {
  type: 'teacher';
  accuracy: number;
  params: number;
  /** Weights folder, relative to the run directory. */
  weights: string;
  /** True when the search trained the teacher itself. */
  trained: boolean;
  seconds: number;
}

/** One evaluated candidate. */
export interface CandidateEvent {
  type: 'candidate';
  /** 1-based search step; step 1 is the random initial batch. */
  step: number;
  name: string;
  /** Structural key: equal keys are the same architecture. */
  key: string;
  /** Spec file, relative to the run directory. */
  spec: string;
  action: Record<string, unknown>;
  /** 'random', or 'kernel-<k>' for the BO kernel that proposed it. */
  proposedBy: string;
  status: 'ok' | 'failed';
  params: number;
  /** Absent in runs from before MACs were recorded. */
  macs?: number;
  /** Measured when the run's objective or budgets need it. */
  latency?: Latency;
  /** The per-layer table's prediction, recorded with each measurement. */
  predictedLatency?: Latency;
  accuracy?: number;
  /** The reward f = C(2 - C) * accuracy / teacher accuracy, C from the run's objective. */
  f?: number;
  /** Why it failed. */
  reason?: string;
  seconds: number;
  backend?: string;
  /** Trained weights folder (relative), when the evaluator kept them. */
  weights?: string;
}

/** Kernels fitted at a step, saved for transfer to other runs. */
export interface KernelsEvent {
  type: 'kernels';
  step: number;
  /** Kernel files, relative to the run directory. */
  files: string[];
  seconds: number;
}

/** A top candidate trained further with cross-entropy after the search. */
export interface FinetuneEvent {
  type: 'finetune';
  name: string;
  status: 'ok' | 'failed';
  accuracy?: number;
  f?: number;
  epochs: number;
  weights?: string;
  reason?: string;
  seconds: number;
}

/** Of a candidate's search and fine-tuned weights, the better by validation accuracy. */
export type WeightsChoice = 'search' | 'fine-tuned';

/**
 * Accuracy on the held-out test split, measured once at the end of a run: the teacher, the
 * delivered students and the candidates of the validation front (the run's Pareto front is then
 * drawn against test accuracy). Nothing before it reads the test split, so no search or
 * fine-tuning decision depends on it.
 */
export interface TestEvent {
  type: 'test';
  /** `teacher`, or a candidate's name. */
  name: string;
  accuracy: number;
  /** Test examples it was measured on. */
  examples: number;
  /** Which of a candidate's weights were measured. */
  weights?: WeightsChoice;
  /** What the test split is (`t10k files`, `x_test of FILE`...). */
  source: string;
}

/** The search ended; its best student is written as best.arch.yaml. */
export interface DoneEvent {
  type: 'done';
  best: string;
  bestSpec: string;
  f: number;
  /** Which weights best.weights holds, and their validation accuracy. */
  bestWeights?: WeightsChoice;
  bestValidationAccuracy?: number;
}

/** The teacher's costs against which candidates are compared, recorded once before the first step. */
export interface CostsEvent {
  type: 'costs';
  teacher: { params: number; macs: number; latency?: Latency };
  /** What timed the latencies, when the run measures them. */
  meter?: string;
}

/** One line of a run's journal.jsonl; paths in it are relative to the run directory. */
export type JournalEvent = TeacherEvent | CostsEvent | CandidateEvent | KernelsEvent | FinetuneEvent | TestEvent | DoneEvent;

/** The student a finished run delivers, or the best so far (engine/run/report.ts calls it BestStudent). */
export interface BestCandidate {
  name: string;
  /** Its spec file (absolute). */
  spec: string;
  /** Search-time reward and validation accuracy: what the search optimised. */
  f: number;
  accuracy: number;
  params: number;
  teacherParams?: number;
  /** Which weights best.weights holds, and their validation accuracy. */
  weights?: WeightsChoice;
  validationAccuracy?: number;
  /** Held-out test accuracy of the student and the teacher (same examples), measured once at the end. */
  test?: { accuracy: number; teacher: number; examples: number; source: string };
}

// ---- requests ----

/** Request, client -> server: compress a teacher; resolves when the search ends or is cancelled. */
export const StartSearch = 'esnac/startSearch';

export interface StartSearchParams {
  /** The teacher spec file. */
  teacher: string;
  /** A dataset name (engine/data/names.ts): mnist, fashion-mnist[:DIR], folder:DIR, npz:FILE... */
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
  journal: JournalEvent[];
}

/**
 * Request, client -> server: how fast this machine trains the teacher (one short epoch on a
 * sample, in a worker), for run setup's estimates.
 */
export const MeasureSpeed = 'esnac/measureSpeed';

export interface SpeedParams {
  teacher: string;
  dataset: string;
  backend?: BackendChoice;
  /** The trainer the run would use (auto: PyTorch where a Python with torch is found); absent: the local tfjs trainer. */
  evaluator?: EvaluatorSettings;
}

export interface SpeedResult {
  /** Training images per second of the teacher (validation excluded). */
  imagesPerSecond: number;
  /** The dataset's split sizes, before any limit. */
  trainExamples: number;
  validationExamples: number;
  /** What trained, e.g. `tfjs wasm` or `pytorch 1.13.0 cpu, 2 threads`. */
  trainer: string;
  cores: number;
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

/**
 * A run's phases in order: the teacher trains (when no weights are given), then each search step
 * proposes (step 1 at random, later steps fit the BO kernels first) and evaluates its candidates,
 * then the best students are fine-tuned, then measured once on the test split.
 */
export const SEARCH_PHASES = ['teacher', 'proposing', 'evaluating', 'finetuning', 'testing', 'done'] as const;
export type SearchPhase = (typeof SEARCH_PHASES)[number];

/** The network trained on labels now: the teacher, or a student being fine-tuned. */
export interface TrainingProgress {
  name: string;
  /** Epochs finished, of `epochs`. */
  epoch: number;
  epochs: number;
  /** The last finished epoch's validation accuracy (0..1) and training speed. */
  accuracy?: number;
  imagesPerSecond?: number;
  /** Fine-tuning: which student (1-based) of how many. */
  student?: number;
  students?: number;
}

export interface SearchProgressParams {
  runDir: string;
  phase: SearchPhase;
  /** The search step (1-based; 0 before the first). */
  step: number;
  steps: number;
  evaluated: number;
  total: number;
  /** Best reward f so far, and the candidate that has it. */
  bestF?: number;
  best?: string;
  /** In the teacher and finetuning phases. */
  training?: TrainingProgress;
  /** The whole run's share done (0..1), each phase weighted by its estimated time. */
  fraction: number;
  /** Estimated seconds left for the whole run, every phase included, from the rates measured so far; absent before any training was timed. */
  etaSeconds?: number;
}

/** Notification, server -> client: one candidate was trained and measured (or failed). */
export const CandidateEvaluated = 'esnac/candidateEvaluated';

export interface CandidateEvaluatedParams extends Pick<CandidateEvent, 'step' | 'name' | 'params' | 'status' | 'accuracy' | 'f' | 'reason' | 'seconds'> {
  runDir: string;
  /** Its spec file (absolute). */
  spec: string;
}

/** Notification, server -> client: a line for the esnac output channel (search steps, backend, failures). */
export const Log = 'esnac/log';

export interface LogParams {
  level: 'info' | 'warning' | 'error';
  message: string;
  /** The search it is about, if any. */
  runDir?: string;
}
