// The numbers the run dashboard plots and tabulates: the best-so-far reward over evaluations
// (the paper's Figure 2), the accuracy/size Pareto front, and the candidate table's rows.
import type { CandidateColumn, DashboardCandidate, DashboardRun } from '../../protocol/webview';

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

export interface SizedPoint {
  params: number;
  accuracy: number;
}

/**
 * The points no other point beats: none has at least the accuracy with fewer params, or more
 * accuracy with no more params. Sorted by params; of equal points only the first is kept.
 */
export function paretoFront<T extends SizedPoint>(points: T[]): T[] {
  const sorted = points
    .map((point, index) => ({ point, index }))
    .sort((a, b) => a.point.params - b.point.params || b.point.accuracy - a.point.accuracy || a.index - b.index);
  const front: T[] = [];
  for (const { point } of sorted) {
    if (front.length === 0 || point.accuracy > front[front.length - 1].accuracy) front.push(point);
  }
  return front;
}

export interface CandidateRow extends DashboardCandidate {
  /** The paper's compression ratio C = 1 - params / teacher params. */
  ratio: number;
  timesSmaller: number;
}

export function candidateRows(run: DashboardRun): CandidateRow[] {
  const teacher = run.teacher.params;
  return run.candidates.map((c) => ({ ...c, ratio: 1 - c.params / teacher, timesSmaller: teacher / c.params }));
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
