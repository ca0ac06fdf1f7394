// Dense symmetric positive-definite algebra in Float64 for the GP (n up to a few hundred).
// tf.linalg has no Cholesky, and tfjs' per-op overhead makes n^3 loops of tiny ops ~25x slower
// than these plain loops. Matrices are row-major n x n Float64Arrays.

/** Lower-triangular L with A = L L^T. Throws when A is not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diag = a[rowJ + j];
    for (let k = 0; k < j; k++) diag -= l[rowJ + k] * l[rowJ + k];
    if (!(diag > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${j} = ${diag})`);
    const ljj = Math.sqrt(diag);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= l[rowI + k] * l[rowJ + k];
      l[rowI + j] = s / ljj;
    }
  }
  return l;
}

/** Solves L x = b for lower-triangular L (forward substitution). */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[row + k] * x[k];
    x[i] = s / l[row + i];
  }
  return x;
}

/** Solves L^T x = b for lower-triangular L (back substitution). */
export function solveUpperTransposed(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** A^-1 from A's Cholesky factor: (L L^T)^-1 = L^-T L^-1, symmetric. */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  const m = lowerInverse(l, n);
  const inv = new Float64Array(n * n);
  // inv_ij = sum_k m_ki m_kj, accumulated row by row of m (contiguous reads), lower half first.
  for (let k = 0; k < n; k++) {
    const rowK = k * n;
    for (let i = 0; i <= k; i++) {
      const a = m[rowK + i];
      const rowI = i * n;
      for (let j = 0; j <= i; j++) inv[rowI + j] += a * m[rowK + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j];
  return inv;
}

/** L^-1, row by row: row i = (e_i - sum_{k<i} l_ik row k) / l_ii. */
function lowerInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < i; k++) {
      const a = l[rowI + k];
      const rowK = k * n;
      for (let j = 0; j <= k; j++) inv[rowI + j] -= a * inv[rowK + j];
    }
    const lii = l[rowI + i];
    inv[rowI + i] = 1;
    for (let j = 0; j <= i; j++) inv[rowI + j] /= lii;
  }
  return inv;
}

/** y = M x for a row-major n x n M. */
export function matVec(m: Float64Array, n: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = 0;
    for (let k = 0; k < n; k++) s += m[row + k] * x[k];
    y[i] = s;
  }
  return y;
}
