// What a compression is measured against: the paper counts parameters; MACs and measured latency
// are what users of compressed models usually need. C = 1 - cost / cost(teacher) for the chosen
// cost, and budgets bound any of them.
import type { Latency, Objective } from '../../protocol';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';

export { OBJECTIVES } from '../../protocol';
export type { Latency, Objective } from '../../protocol';

/** The costs of one architecture; latency only where it was measured. */
export interface Costs {
  params: number;
  macs: number;
  latency?: Latency;
  /** The per-layer table's prediction of the latency, next to the measurement. */
  predictedLatency?: Latency;
}

/** Parameters and MACs: a pure function of the spec. */
export function structuralCosts(spec: ArchitectureSpec): Costs {
  const { params, macs } = inferShapes(spec);
  return { params, macs };
}

/** The cost the objective counts, from costs as recorded (a journal's candidate line is one). */
export function costOf(objective: Objective, costs: { params: number; macs?: number; latency?: Latency }): number {
  const cost = objective === 'latency' ? costs.latency?.ms : costs[objective];
  if (cost === undefined) throw new Error(`no ${COST_NAMES[objective].title} recorded for the ${objective} objective`);
  return cost;
}

/** How a cost reads in a sentence or a column header. */
export const COST_NAMES: Record<Objective, { title: string; unit: string; fewer: string }> = {
  params: { title: 'params', unit: 'params', fewer: 'smaller' },
  macs: { title: 'MACs', unit: 'MACs', fewer: 'fewer MACs' },
  latency: { title: 'latency', unit: 'ms', fewer: 'faster' },
};
