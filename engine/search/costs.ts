// The costs of a run's candidates: what the reward counts, what the budgets bound, and the filter
// the proposals go through. Parameters and MACs come from the spec; latency, when the run needs
// it, from a meter (measured) and the per-layer table (predicted).
import { ArchitectureSpec } from '../architecture/types';
import { candidateKey } from '../space/key';
import { budgetFilter, budgetsNeedLatency, budgetViolation, Budgets, CandidateFilter, LatencyPredictor, LatencySource } from '../cost/budgets';
import { Costs, costOf, Objective, structuralCosts } from '../cost/objective';

export interface RunCosts {
  objective: Objective;
  budgets: Budgets;
  teacher: Costs;
  /** Absent without budgets. */
  filter?: CandidateFilter;
  /** Whether candidates' latencies are measured. */
  measuresLatency: boolean;
  /** The per-layer table, where latencies are measured. */
  predictor?: LatencyPredictor;
  /** A candidate's costs, its latency measured where the run needs it. */
  measure(spec: ArchitectureSpec, key: string, signal?: AbortSignal): Promise<Costs>;
  /** The budget the measured costs break, in words. */
  violation(costs: Costs): string | undefined;
  /** The objective's cost. */
  cost(costs: Parameters<typeof costOf>[1]): number;
}

/** Whether a run with these settings measures latency. */
export function needsLatency(objective: Objective, budgets: Budgets): boolean {
  return objective === 'latency' || budgetsNeedLatency(budgets, objective);
}

/** The run's costs; the teacher's latency is measured here when the run needs latencies. */
export async function runCosts(
  { objective, budgets }: { objective: Objective; budgets: Budgets },
  teacherSpec: ArchitectureSpec,
  latency?: LatencySource,
  signal?: AbortSignal,
): Promise<RunCosts> {
  const measuresLatency = needsLatency(objective, budgets);
  if (measuresLatency && !latency) throw new Error(`objective ${objective} with these budgets needs latency measurements`);
  const measure = async (spec: ArchitectureSpec, key: string, s?: AbortSignal): Promise<Costs> => {
    if (!measuresLatency) return structuralCosts(spec);
    const measured = await latency!.measure(spec, key, s);
    // Every measurement is also predicted, so the run reports the table's error.
    await latency!.predictor.prepare([spec], s);
    return { ...structuralCosts(spec), latency: measured, predictedLatency: latency!.predictor.predict(spec) };
  };
  const teacher = await measure(teacherSpec, candidateKey(teacherSpec), signal);
  return {
    objective,
    budgets,
    teacher,
    filter: budgetFilter(budgets, objective, teacher, measuresLatency ? latency!.predictor : undefined),
    measuresLatency,
    ...(measuresLatency && { predictor: latency!.predictor }),
    measure,
    violation: (costs) => budgetViolation(costs, teacher, budgets, objective),
    cost: (costs) => costOf(objective, costs),
  };
}
