// Search settings. Defaults are the authors' (shared/notes/reference-implementation.md); every
// one can be changed per run and is recorded in run.json.
import { AugmentChoice, DEFAULT_AUGMENT, DEFAULT_NORMALISE } from '../data/preprocessing';
import { DEFAULT_EVALUATOR, EvaluatorSettings } from '../evaluation/settings';

export type SearchMethod = 'bo' | 'random';
export type DistillationLoss = 'mse' | 'kl';
export type AcquisitionOptimizer = 'random' | 'evolution';

export interface SearchSettings {
  method: SearchMethod;
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
  /** Search-time training epochs per candidate, with distillation. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
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
   * `MEAN/STD`. Unset in a request, a teacher's recorded normalisation wins over the default.
   */
  normalise: string;
  /** Training batches: `auto` (crop + flip for natural images, none for digits), `none`, `crop-flip`. */
  augment: AugmentChoice;
  /** Limit training / validation examples (0 = all): for demos on small machines. */
  limitTrain: number;
  limitValidation: number;
  /** Parallel evaluations (0 = the evaluator's default). */
  workers: number;
  /** Who trains the candidates: the local tfjs workers, a command, or Slurm jobs. */
  evaluator: EvaluatorSettings;
}

export const DEFAULT_SETTINGS: SearchSettings = {
  method: 'bo',
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
  normalise: DEFAULT_NORMALISE,
  augment: DEFAULT_AUGMENT,
  limitTrain: 0,
  limitValidation: 0,
  workers: 0,
  evaluator: DEFAULT_EVALUATOR,
};

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
