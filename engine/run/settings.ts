// Search settings (their types are the protocol's). Defaults are the authors' (docs/reference-implementation.md);
// every one can be changed per run and is recorded in run.json.
import type { SearchSettings } from '../../protocol';

export type { AcquisitionOptimizer, Budgets, DistillationLoss, EvaluatorSettings, LatencySettings, Objective, SearchMethod, SearchSettings, TrainingSettings } from '../../protocol';

/**
 * The one table of defaults: the CLI's help and option defaults, the extension's offers and
 * package.json's esnac.* defaults derive from it or are tested against it (test/layout/defaults.test.ts).
 */
export const DEFAULT_SETTINGS: SearchSettings = {
  method: 'bo',
  objective: 'params',
  budgets: { maxParams: 0, maxMacs: 0, maxLatencyMs: 0, minRatio: 0 },
  latency: { device: 'onnxruntime', batchSize: 1, threads: 1, warmup: 5, repeats: 30, command: '' },
  seed: 0,
  steps: 20,
  kernels: 8,
  acquisitionSamples: 1000,
  acquisitionOptimizer: 'random',
  subsetProbability: 0.5,
  epochs: 10,
  batchSize: 128,
  learningRate: 1e-3,
  weightDecay: 5e-4,
  distillation: 'mse',
  temperature: 4,
  inheritWeights: true,
  operators: { removal: true, shrink: true, skip: true },
  kernelFit: { maxSteps: 100, learningRate: 1e-3, weightDecay: 5e-4, lstmLayers: 4, hidden: 64 },
  teacherEpochs: 10,
  finetuneTop: 4,
  finetuneEpochs: 10,
  budgetMinutes: 0,
  normalise: 'dataset',
  augment: 'auto',
  limitTrain: 0,
  limitValidation: 0,
  workers: 0,
  evaluator: {
    kind: 'auto',
    python: '',
    autocast: true,
    command: '',
    shell: false,
    jobTemplate: '',
    timeoutMinutes: 0,
    retries: 1,
    pollSeconds: 10,
  },
};

/** The dataset limits a run's settings give, as loadDataset takes them (0 = all: no limit). */
export function datasetLimits(settings: Pick<SearchSettings, 'limitTrain' | 'limitValidation'>): { limitTrain?: number; limitValidation?: number } {
  return {
    ...(settings.limitTrain > 0 ? { limitTrain: settings.limitTrain } : {}),
    ...(settings.limitValidation > 0 ? { limitValidation: settings.limitValidation } : {}),
  };
}

/** A seed for one purpose within a run, so each step's randomness can be recreated on resume. */
export function derivedSeed(seed: number, ...parts: (number | string)[]): number {
  // FNV-1a over the parts: cheap, stable across platforms, spreads nearby inputs apart.
  let h = 0x811c9dc5;
  for (const ch of `${seed}/${parts.join('/')}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}
