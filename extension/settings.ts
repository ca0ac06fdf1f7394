// The esnac.* settings as typed values, and what they mean for the engine process, the runs
// folder and the runs' evaluator. Pure: the caller passes a getter over vscode's configuration,
// so tests need no VS Code.
import { isAbsolute, join } from 'node:path';
import { DEFAULT_SETTINGS } from '../engine/run/settings';
import { AUGMENT_CHOICES, AugmentChoice, BackendChoice, EVALUATOR_KINDS, EvaluatorKind, SearchSettings } from '../protocol';

export interface EsnacSettings {
  backend: BackendChoice;
  /** Parallel evaluations; 0 lets the engine decide. */
  workers: number;
  extraEnv: Record<string, string>;
  /** The Node executable for the engine; empty: the one VS Code runs extensions with. */
  nodePath: string;
  search: Pick<SearchSettings, 'steps' | 'kernels' | 'epochs' | 'method'>;
  /** Dataset folders; empty when not set. */
  datasets: { fashionMnist: string; cifar10: string; cifar100: string };
  /**
   * The runs' input: `normalise` empty means not set (the teacher's recorded normalisation, else
   * the dataset's statistics); any other value is a --normalise rule.
   */
  preprocessing: { normalise: string; augment: AugmentChoice };
  /** Where runs go: absolute, or relative to the workspace folder. */
  runsFolder: string;
  /** Who trains the candidates; `jobTemplate` as set (relative to the workspace folder, or absolute). */
  evaluator: SearchSettings['evaluator'];
}

const { workers, steps, kernels, epochs, method, evaluator, augment } = DEFAULT_SETTINGS;

/**
 * The defaults package.json declares (a test keeps the two equal): the engine's DEFAULT_SETTINGS
 * for the search settings, and the extension's own.
 */
export const DEFAULT_ESNAC_SETTINGS: EsnacSettings = {
  backend: 'auto',
  workers,
  extraEnv: {},
  nodePath: '',
  search: { steps, kernels, epochs, method },
  datasets: { fashionMnist: '', cifar10: '', cifar100: '' },
  preprocessing: { normalise: '', augment },
  runsFolder: 'esnac-runs',
  evaluator,
};

/** The setting keys under `esnac.`, as package.json names them. */
export const SETTING_KEYS = {
  backend: 'engine.backend',
  workers: 'engine.workers',
  extraEnv: 'engine.extraEnv',
  nodePath: 'engine.nodePath',
  steps: 'search.steps',
  kernels: 'search.kernels',
  epochs: 'search.epochs',
  method: 'search.method',
  fashionMnist: 'datasets.fashionMnist',
  cifar10: 'datasets.cifar10',
  cifar100: 'datasets.cifar100',
  normalise: 'preprocessing.normalise',
  augment: 'preprocessing.augment',
  runsFolder: 'runs.folder',
  evaluatorKind: 'evaluator.kind',
  python: 'python',
  autocast: 'evaluator.autocast',
  evaluatorCommand: 'evaluator.command',
  evaluatorShell: 'evaluator.shell',
  jobTemplate: 'evaluator.jobTemplate',
  timeoutMinutes: 'evaluator.timeoutMinutes',
  retries: 'evaluator.retries',
  pollSeconds: 'evaluator.pollSeconds',
} as const;

/** Settings that take effect only when the engine process starts again. */
export const ENGINE_SETTINGS = ['esnac.engine.backend', 'esnac.engine.extraEnv', 'esnac.engine.nodePath'];

const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * Reads the settings through `get` (e.g. `(key) => workspace.getConfiguration('esnac').get(key)`).
 * A value of the wrong type (hand-edited settings.json) falls back to its default.
 */
export function readSettings(get: (key: string) => unknown): EsnacSettings {
  const d = DEFAULT_ESNAC_SETTINGS;
  const text = (key: string, fallback: string) => {
    const value = get(key);
    return typeof value === 'string' ? value.trim() : fallback;
  };
  const count = (key: string, fallback: number, min: number) => {
    const value = get(key);
    return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;
  };
  const amount = (key: string, fallback: number, min: number) => {
    const value = get(key);
    return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
  };
  const backend = get(SETTING_KEYS.backend);
  const method = get(SETTING_KEYS.method);
  const kind = get(SETTING_KEYS.evaluatorKind);
  const shell = get(SETTING_KEYS.evaluatorShell);
  const augmentChoice = get(SETTING_KEYS.augment);
  const autocast = get(SETTING_KEYS.autocast);
  return {
    backend: BACKENDS.includes(backend as BackendChoice) ? (backend as BackendChoice) : d.backend,
    workers: count(SETTING_KEYS.workers, d.workers, 0),
    extraEnv: stringRecord(get(SETTING_KEYS.extraEnv)),
    nodePath: text(SETTING_KEYS.nodePath, d.nodePath),
    search: {
      steps: count(SETTING_KEYS.steps, d.search.steps, 1),
      kernels: count(SETTING_KEYS.kernels, d.search.kernels, 1),
      epochs: count(SETTING_KEYS.epochs, d.search.epochs, 1),
      method: method === 'bo' || method === 'random' ? method : d.search.method,
    },
    datasets: {
      fashionMnist: text(SETTING_KEYS.fashionMnist, ''),
      cifar10: text(SETTING_KEYS.cifar10, ''),
      cifar100: text(SETTING_KEYS.cifar100, ''),
    },
    preprocessing: {
      normalise: text(SETTING_KEYS.normalise, d.preprocessing.normalise),
      augment: AUGMENT_CHOICES.includes(augmentChoice as AugmentChoice) ? (augmentChoice as AugmentChoice) : d.preprocessing.augment,
    },
    runsFolder: text(SETTING_KEYS.runsFolder, '') || d.runsFolder,
    evaluator: {
      kind: EVALUATOR_KINDS.includes(kind as EvaluatorKind) ? (kind as EvaluatorKind) : d.evaluator.kind,
      python: text(SETTING_KEYS.python, d.evaluator.python),
      autocast: typeof autocast === 'boolean' ? autocast : d.evaluator.autocast,
      command: text(SETTING_KEYS.evaluatorCommand, d.evaluator.command),
      shell: typeof shell === 'boolean' ? shell : d.evaluator.shell,
      jobTemplate: text(SETTING_KEYS.jobTemplate, d.evaluator.jobTemplate),
      timeoutMinutes: amount(SETTING_KEYS.timeoutMinutes, d.evaluator.timeoutMinutes, 0),
      retries: count(SETTING_KEYS.retries, d.evaluator.retries, 0),
      // The CLI's --poll-seconds floor: a shorter interval would only load the scheduler.
      pollSeconds: amount(SETTING_KEYS.pollSeconds, d.evaluator.pollSeconds, 0.1),
    },
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const entries = Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return Object.fromEntries(entries);
}

/** The variables the engine process gets on top of the extension host's environment. */
export function engineEnvironment(settings: EsnacSettings): Record<string, string> {
  // The engine reads ESNAC_BACKEND for 'auto' requests, so the setting also picks the backend it reports.
  return { ...settings.extraEnv, ...(settings.backend === 'auto' ? {} : { ESNAC_BACKEND: settings.backend }) };
}

/** The runs folder of a workspace folder (or of the teacher's folder outside a workspace). */
export function runsFolderPath(settings: EsnacSettings, root: string): string {
  return isAbsolute(settings.runsFolder) ? settings.runsFolder : join(root, settings.runsFolder);
}
