// Expected improvement (paper Eq. 3) for maximising f, and the normal distribution it needs.

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * Complementary error function by the Chebyshev fit of Press et al., Numerical Recipes in C,
 * 2nd ed., section 6.2 ("erfcc"): relative error below 1.2e-7 for every x. A relative (not
 * absolute) bound keeps Phi(z) meaningful far in the lower tail, where EI ranks candidates whose
 * mean is well below the best; 1e-7 is also the precision of the Float32 embeddings behind mu.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const tail = t * Math.exp(-z * z + poly);
  return x >= 0 ? tail : 2 - tail;
}

export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** EI = (mu - y*) Phi(z) + sigma phi(z), z = (mu - y*) / sigma; max(mu - y*, 0) when sigma = 0. */
export function expectedImprovementAt(mu: number, sigma: number, yBest: number): number {
  const gain = mu - yBest;
  if (sigma <= 0) return Math.max(gain, 0);
  const z = gain / sigma;
  return gain * normalCdf(z) + sigma * normalPdf(z);
}

export function expectedImprovement(mu: ArrayLike<number>, sigma: ArrayLike<number>, yBest: number): Float64Array {
  const ei = new Float64Array(mu.length);
  for (let i = 0; i < mu.length; i++) ei[i] = expectedImprovementAt(mu[i], sigma[i], yBest);
  return ei;
}
