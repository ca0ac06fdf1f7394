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
  const lInv = lowerInverse(l, n);
  const inv = new Float64Array(n * n);
  // [L^-T L^-1]_ij = sum_k lInv[k][i] lInv[k][j], with lInv[k][*] zero beyond column k.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += lInv[k * n + i] * lInv[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

function lowerInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    inv[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k] * inv[k * n + j];
      inv[i * n + j] = s / l[i * n + i];
    }
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
