// The numbers the run dashboard plots and tabulates: the best-so-far reward over evaluations
// (the paper's Figure 2), the Pareto front of the run's cost against accuracy, and the
// candidate table's rows.
import type { CandidateColumn, DashboardCandidate, DashboardRun } from '../../protocol/webview';
import { paretoFront } from '../../engine/cost/pareto';

export interface RewardPoint {
  /** 1-based position in evaluation order. */
  order: number;
  name: string;
  /** Absent for a failed candidate. */
  f?: number;
  /** The best f of this and every earlier candidate; absent until one succeeds. */
  best?: number;
}

export function rewardSeries(candidates: DashboardCandidate[]): RewardPoint[] {
  let best: number | undefined;
  return candidates.map((c, i) => {
    if (c.f !== undefined && (best === undefined || c.f > best)) best = c.f;
    return { order: i + 1, name: c.name, f: c.f, best };
  });
}


type Costed = { params: number; macs?: number; latencyMs?: number };

/** The cost the run's objective counts; undefined where it was not recorded (a failed latency). */
export function objectiveCost(objective: DashboardRun['objective'], p: Costed): number | undefined {
  return objective === 'params' ? p.params : objective === 'macs' ? p.macs : p.latencyMs;
}

export interface CandidateRow extends DashboardCandidate {
  /** The objective's cost, when recorded. */
  cost?: number;
  /** The paper's compression ratio C = 1 - cost / teacher cost (NaN without costs). */
  ratio: number;
  /** Teacher cost / cost: times smaller, times fewer MACs, times faster. */
  timesSmaller: number;
}

export function candidateRows(run: DashboardRun): CandidateRow[] {
  const teacher = objectiveCost(run.objective, run.teacher) ?? NaN;
  return run.candidates.map((c) => {
    const cost = objectiveCost(run.objective, c);
    return { ...c, ...(cost !== undefined && { cost }), ratio: 1 - (cost ?? NaN) / teacher, timesSmaller: teacher / (cost ?? NaN) };
  });
}

/** The accuracy a candidate is judged by at the end, as in report.md: fine-tuned where it was, else search-time. */
export function finalAccuracy(c: DashboardCandidate): number | undefined {
  return c.finetunedAccuracy ?? c.accuracy;
}

export type FrontRow = CandidateRow & { cost: number; accuracy: number };

/** A chart point: a row and the accuracy it is drawn at. */
export type FrontPoint = FrontRow & { shown: number };

/**
 * The chart's points and the Pareto front, cheapest first, as report.md draws them: against
 * held-out test accuracy where the finished run measured candidates on a test split (only those
 * candidates are points then), else against final validation accuracy.
 */
export function costFront(rows: CandidateRow[]): { split: 'test' | 'validation'; points: FrontPoint[]; front: FrontPoint[] } {
  const costed = rows.filter((r): r is FrontRow => r.cost !== undefined && r.accuracy !== undefined);
  const split = costed.some((r) => r.testAccuracy !== undefined) ? 'test' : 'validation';
  const points = split === 'test' ? costed.flatMap((r) => (r.testAccuracy === undefined ? [] : [{ ...r, shown: r.testAccuracy }])) : costed.map((r) => ({ ...r, shown: finalAccuracy(r)! }));
  return { split, points, front: paretoFront(points, (r) => r.cost, (r) => r.shown) };
}

/** A stable sort on one column; candidates without a value (failed ones) go last either way. */
export function sortRows(rows: CandidateRow[], column: CandidateColumn, descending: boolean): CandidateRow[] {
  const sign = descending ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = a.row[column];
      const y = b.row[column];
      if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0) || a.index - b.index;
      const order = typeof x === 'string' ? x.localeCompare(String(y)) : x - (y as number);
      return sign * order || a.index - b.index;
    })
    .map(({ row }) => row);
}
