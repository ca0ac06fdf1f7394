// The Gaussian process over architecture embeddings (paper section 3.1): an RBF kernel on the
// embeddings, noise on the diagonal, the leave-one-out objective of Eq. 5 with its gradient with
// respect to the embeddings, and the posterior for new points. Embeddings are row-major n x d
// Float64Arrays; the caller includes the teacher as a point with y = 0.
import { cholesky, inverseFromCholesky, matVec, solveLower, solveUpperTransposed } from './linalg';

export interface GpOptions {
  /** sigma^2 of the RBF kernel k = exp(-||e - e'||^2 / (2 sigma^2)). */
  rbfSigma2: number;
  /** Noise variance added to the diagonal of K and to every predictive variance. */
  noise: number;
}

export const DEFAULT_GP_OPTIONS: Readonly<GpOptions> = { rbfSigma2: 0.01, noise: 0.05 };

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** K[i][j] = exp(-||a_i - b_j||^2 / (2 sigma^2)), an na x nb row-major matrix. */
export function rbfKernel(a: Float64Array, na: number, b: Float64Array, nb: number, d: number, rbfSigma2: number): Float64Array {
  const k = new Float64Array(na * nb);
  const scale = -1 / (2 * rbfSigma2);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let sq = 0;
      for (let c = 0; c < d; c++) {
        const diff = a[i * d + c] - b[j * d + c];
        sq += diff * diff;
      }
      k[i * nb + j] = Math.exp(sq * scale);
    }
  }
  return k;
}

/** A = K + noise I for the training embeddings. */
function noisyGram(e: Float64Array, n: number, d: number, options: GpOptions): Float64Array {
  const a = rbfKernel(e, n, e, n, d, options.rbfSigma2);
  for (let i = 0; i < n; i++) a[i * n + i] += options.noise;
  return a;
}

export interface Gaussians {
  mu: Float64Array;
  sigma: Float64Array;
}

/**
 * The leave-one-out predictive distributions of every training point in closed form
 * (Rasmussen & Williams 2006, Eq. 5.12): mu_i = y_i - [A^-1 y]_i / [A^-1]_ii,
 * sigma_i^2 = 1 / [A^-1]_ii, equal to conditioning on all other points.
 */
export function looPredictions(e: Float64Array, n: number, d: number, y: ArrayLike<number>, options: GpOptions = DEFAULT_GP_OPTIONS): Gaussians {
  const inv = inverseFromCholesky(cholesky(noisyGram(e, n, d, options), n), n);
  const alpha = matVec(inv, n, y);
  const mu = new Float64Array(n);
  const sigma = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cii = inv[i * n + i];
    mu[i] = y[i] - alpha[i] / cii;
    sigma[i] = Math.sqrt(1 / cii);
  }
  return { mu, sigma };
}

export interface LooObjective {
  /** Negative mean LOO log predictive density (Eq. 5). */
  loss: number;
  /** d loss / d E, row-major n x d. */
  gradE: Float64Array;
}

/**
 * Eq. 5 and its gradient. With C = A^-1 and alpha = C y, point i contributes
 * 0.5 log 2pi - 0.5 log C_ii + alpha_i^2 / (2 C_ii); back-propagating through C = A^-1 gives
 * dL/dA = -C (diag(gC) + gAlpha y^T) C, then through the RBF to the embeddings.
 */
export function looObjective(e: Float64Array, n: number, d: number, y: ArrayLike<number>, options: GpOptions = DEFAULT_GP_OPTIONS): LooObjective {
  const gram = noisyGram(e, n, d, options);
  const inv = inverseFromCholesky(cholesky(gram, n), n);
  const alpha = matVec(inv, n, y);
  let loss = 0;
  const gDiag = new Float64Array(n);
  const gAlpha = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cii = inv[i * n + i];
    const ai = alpha[i];
    loss += HALF_LOG_2PI - 0.5 * Math.log(cii) + (ai * ai) / (2 * cii);
    gDiag[i] = (-0.5 / cii - (ai * ai) / (2 * cii * cii)) / n;
    gAlpha[i] = ai / cii / n;
  }
  const gradA = gramGradient(inv, n, gDiag, gAlpha, alpha);
  return { loss: loss / n, gradE: embeddingGradient(e, n, d, gram, gradA, options) };
}

/** dL/dA = -C diag(gDiag) C - (C gAlpha) alpha^T, where alpha = C y. */
function gramGradient(inv: Float64Array, n: number, gDiag: Float64Array, gAlpha: Float64Array, alpha: Float64Array): Float64Array {
  const u = matVec(inv, n, gAlpha);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < n; k++) {
      const a = inv[rowI + k] * gDiag[k];
      const rowK = k * n;
      for (let j = 0; j < n; j++) g[rowI + j] -= a * inv[rowK + j];
    }
    for (let j = 0; j < n; j++) g[rowI + j] -= u[i] * alpha[j];
  }
  return g;
}

/**
 * Chains dL/dA into the embeddings. K_ij depends on e_i and e_j, and
 * dK_ij/de_i = -K_ij (e_i - e_j) / sigma^2, so dL/de_i = -sum_j W_ij (e_i - e_j) / sigma^2
 * with W = (G + G^T) o K. The diagonal (noise, K_ii = 1) has no gradient.
 */
function embeddingGradient(e: Float64Array, n: number, d: number, gram: Float64Array, gradA: Float64Array, options: GpOptions): Float64Array {
  const grad = new Float64Array(n * d);
  const scale = -1 / options.rbfSigma2;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const w = (gradA[i * n + j] + gradA[j * n + i]) * gram[i * n + j] * scale;
      for (let c = 0; c < d; c++) grad[i * d + c] += w * (e[i * d + c] - e[j * d + c]);
    }
  }
  return grad;
}

/** A GP conditioned on training points: what prediction needs, computed once. */
export interface GpModel {
  n: number;
  d: number;
  embeddings: Float64Array;
  /** Cholesky factor of K + noise I. */
  cholesky: Float64Array;
  /** (K + noise I)^-1 y. */
  alpha: Float64Array;
  options: GpOptions;
}

export function conditionGp(e: Float64Array, n: number, d: number, y: ArrayLike<number>, options: GpOptions = DEFAULT_GP_OPTIONS): GpModel {
  const l = cholesky(noisyGram(e, n, d, options), n);
  const alpha = solveUpperTransposed(l, n, solveLower(l, n, y));
  return { n, d, embeddings: e, cholesky: l, alpha, options };
}

/**
 * Predictive distribution of y at m new points: mu = k^T A^-1 y,
 * sigma^2 = k** - k^T A^-1 k + noise, with k** = 1 for the RBF kernel.
 */
export function posterior(model: GpModel, points: Float64Array, m: number): Gaussians {
  const { n, d, options } = model;
  const cross = rbfKernel(points, m, model.embeddings, n, d, options.rbfSigma2);
  const mu = new Float64Array(m);
  const sigma = new Float64Array(m);
  for (let p = 0; p < m; p++) {
    const k = cross.subarray(p * n, (p + 1) * n);
    let mean = 0;
    for (let j = 0; j < n; j++) mean += k[j] * model.alpha[j];
    const v = solveLower(model.cholesky, n, k);
    let explained = 0;
    for (let j = 0; j < n; j++) explained += v[j] * v[j];
    mu[p] = mean;
    sigma[p] = Math.sqrt(Math.max(1 - explained, 0) + options.noise);
  }
  return { mu, sigma };
}
