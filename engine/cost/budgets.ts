// Budgets as constraints: "at most 5 ms", "at least 10x smaller". A candidate that breaks one is
// never proposed (the filter runs where candidates are sampled, so the acquisition never scores
// it); for latency the per-layer table's prediction filters and the measurement decides.
import type { Budgets } from '../../protocol';
import { ArchitectureSpec } from '../architecture/types';
import { Costs, costOf, Latency, Objective, structuralCosts } from './objective';

export type { Budgets } from '../../protocol';

/** Whether checking the budgets needs a latency (predicted or measured). */
export function budgetsNeedLatency(budgets: Budgets, objective: Objective): boolean {
  return budgets.maxLatencyMs > 0 || (budgets.minRatio > 0 && objective === 'latency');
}

/**
 * The budget `costs` break, in words, or undefined. Latency bounds are checked only when the
 * candidate's costs carry a latency (the teacher's too, for a ratio).
 */
export function budgetViolation(costs: Costs, teacher: Costs, budgets: Budgets, objective: Objective): string | undefined {
  if (budgets.maxParams > 0 && costs.params > budgets.maxParams) return `${costs.params} params is over the budget of ${budgets.maxParams}`;
  if (budgets.maxMacs > 0 && costs.macs > budgets.maxMacs) return `${costs.macs} MACs is over the budget of ${budgets.maxMacs}`;
  if (budgets.maxLatencyMs > 0 && costs.latency && costs.latency.ms > budgets.maxLatencyMs) {
    return `latency ${costs.latency.ms.toFixed(3)} ms is over the budget of ${budgets.maxLatencyMs} ms`;
  }
  const ratioKnown = objective !== 'latency' || (costs.latency && teacher.latency);
  if (budgets.minRatio > 0 && ratioKnown) {
    const ratio = costOf(objective, teacher) / costOf(objective, costs);
    if (ratio < budgets.minRatio) return `${ratio.toFixed(2)}x ${objective === 'latency' ? 'faster' : `fewer ${objective}`} than the teacher is under the minimum of ${budgets.minRatio}x`;
  }
  return undefined;
}

/** Predicts latency from measured parts (the per-layer table); prepare() before predict(). */
export interface LatencyPredictor {
  /** Measures whatever the predictions for these specs need and the table lacks. */
  prepare(specs: ArchitectureSpec[], signal?: AbortSignal): Promise<void>;
  predict(spec: ArchitectureSpec): Latency;
}

/** A run's latencies: whole networks measured (once per architecture key), and the per-layer table. */
export interface LatencySource {
  measure(spec: ArchitectureSpec, key: string, signal?: AbortSignal): Promise<Latency>;
  predictor: LatencyPredictor;
}

/** Which sampled candidates may be proposed. admits() is pure once prepare() has run. */
export interface CandidateFilter {
  prepare(specs: ArchitectureSpec[], signal?: AbortSignal): Promise<void>;
  admits(spec: ArchitectureSpec): boolean;
}

/**
 * The filter for these budgets (undefined when there are none). A latency budget needs the
 * predictor; the teacher's latency must then be known (measured) too.
 */
export function budgetFilter(budgets: Budgets, objective: Objective, teacher: Costs, predictor?: LatencyPredictor): CandidateFilter | undefined {
  const { maxParams, maxMacs, maxLatencyMs, minRatio } = budgets;
  if (maxParams <= 0 && maxMacs <= 0 && maxLatencyMs <= 0 && minRatio <= 0) return undefined;
  const needsLatency = budgetsNeedLatency(budgets, objective);
  if (needsLatency && !predictor) throw new Error('a latency budget needs a latency predictor');
  // Without a latency in the costs, budgetViolation checks only the structural bounds.
  const structurallyAdmitted = (spec: ArchitectureSpec) => budgetViolation(structuralCosts(spec), teacher, budgets, objective) === undefined;
  return {
    prepare: async (specs, signal) => {
      if (needsLatency) await predictor!.prepare(specs.filter(structurallyAdmitted), signal);
    },
    admits: (spec) => {
      if (!structurallyAdmitted(spec)) return false;
      if (!needsLatency) return true;
      const costs = { ...structuralCosts(spec), latency: predictor!.predict(spec) };
      return budgetViolation(costs, teacher, budgets, objective) === undefined;
    },
  };
}
