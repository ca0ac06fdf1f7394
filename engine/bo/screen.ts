// What a BO step knows of a candidate before training it, from the search loop: whether the
// run's budgets admit it, and, with a cost known before training (predicted latency), the factor
// g = C (2 - C) of the reward that cost gives. A kernel job asks these questions of the step's
// thread, where the filter and the cost live, wherever the job runs (see threads/).
import { ArchitectureSpec } from '../architecture/types';
import { CandidateFilter } from '../cost/budgets';

/** A cost predicted before training: the acquisition takes f = g x a (see kernel-job's predictedReward). */
export interface KnownCost {
  teacherAccuracy: number;
  /** Makes factor() answerable for these specs (measures the table's missing units). */
  prepare(specs: ArchitectureSpec[], signal?: AbortSignal): Promise<void>;
  factor(spec: ArchitectureSpec): number;
}

/** The questions, each for a batch of specs, answered in batch order. */
export interface Screen {
  /** Which specs the budgets admit; absent without budgets. */
  admits?(specs: ArchitectureSpec[]): Promise<boolean[]>;
  /** Each spec's factor g; absent without a known cost. */
  costFactors?(specs: ArchitectureSpec[]): Promise<number[]>;
}

export type Question = keyof Screen;

export function screenOf(filter: CandidateFilter | undefined, knownCost: KnownCost | undefined, signal?: AbortSignal): Screen {
  return {
    ...(filter && { admits: (specs: ArchitectureSpec[]) => filter.prepare(specs, signal).then(() => specs.map((s) => filter.admits(s))) }),
    ...(knownCost && { costFactors: (specs: ArchitectureSpec[]) => knownCost.prepare(specs, signal).then(() => specs.map((s) => knownCost.factor(s))) }),
  };
}

/** What a thread can post of a screen: which questions it answers. */
export function questionsOf(screen: Screen): Question[] {
  return (['admits', 'costFactors'] as const).filter((q) => screen[q] !== undefined);
}
