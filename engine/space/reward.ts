// The objective the search maximises (paper appendix 6.1, Eq. 6, taken from N2N):
// f = C (2 - C) * A / A_teacher with C = 1 - params / params_teacher. The teacher scores 0.

export interface Measured {
  params: number;
  accuracy: number;
}

/** C = 1 - params / params_teacher. */
export function compression(params: number, teacherParams: number): number {
  return 1 - params / teacherParams;
}

export function reward(candidate: Measured, teacher: Measured): number {
  const c = compression(candidate.params, teacher.params);
  return c * (2 - c) * (candidate.accuracy / teacher.accuracy);
}
