// The objective the search maximises (paper appendix 6.1, Eq. 6, taken from N2N):
// f = C (2 - C) * A / A_teacher with C = 1 - cost / cost_teacher. The paper's cost is the
// parameter count; engine/cost offers MACs and measured latency too. The teacher scores 0.

export interface Measured {
  cost: number;
  accuracy: number;
}

/** C = 1 - cost / cost_teacher. */
export function compression(cost: number, teacherCost: number): number {
  return 1 - cost / teacherCost;
}

export function reward(candidate: Measured, teacher: Measured): number {
  const c = compression(candidate.cost, teacher.cost);
  return c * (2 - c) * (candidate.accuracy / teacher.accuracy);
}
