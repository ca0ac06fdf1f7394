import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionGp, DEFAULT_GP_OPTIONS, GpOptions, looObjective, looPredictions, posterior, rbfKernel } from '../../engine/bo/gp/gp';
import { cholesky, inverseFromCholesky } from '../../engine/bo/gp/linalg';
import { Rng } from '../../engine/util/rng';

/** n points near each other (spread relative to sigma = 0.1), so the RBF gram is far from I. */
function clusteredEmbeddings(n: number, d: number, rng: Rng, spread: number): Float64Array {
  const e = new Float64Array(n * d);
  for (let i = 0; i < e.length; i++) e[i] = spread * rng.normal();
  return e;
}

function randomYs(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

test('cholesky and inverse reproduce A and A^-1', () => {
  const rng = new Rng(1);
  const n = 7;
  const e = clusteredEmbeddings(n, 3, rng, 0.1);
  const a = rbfKernel(e, n, e, n, 3, 0.01);
  for (let i = 0; i < n; i++) a[i * n + i] += 0.05;
  const l = cholesky(a, n);
  const inv = inverseFromCholesky(l, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let llt = 0;
      let identity = 0;
      for (let k = 0; k < n; k++) {
        llt += l[i * n + k] * l[j * n + k];
        identity += a[i * n + k] * inv[k * n + j];
      }
      assert.ok(Math.abs(llt - a[i * n + j]) < 1e-12);
      assert.ok(Math.abs(identity - (i === j ? 1 : 0)) < 1e-10);
    }
  }
});

for (const [label, gp, spread] of [
  ['default kernel', DEFAULT_GP_OPTIONS, 0.06],
  ['wide kernel', { rbfSigma2: 0.5, noise: 0.1 }, 0.3],
] as [string, GpOptions, number][]) {
  test(`LOO gradient matches central finite differences (${label})`, () => {
    const rng = new Rng(7);
    const n = 8;
    const d = 8;
    const e = clusteredEmbeddings(n, d, rng, spread);
    const y = randomYs(n, rng);
    const { gradE } = looObjective(e, n, d, y, gp);
    const h = 1e-6;
    const numeric = new Float64Array(n * d);
    for (let i = 0; i < e.length; i++) {
      const plus = Float64Array.from(e);
      const minus = Float64Array.from(e);
      plus[i] += h;
      minus[i] -= h;
      numeric[i] = (looObjective(plus, n, d, y, gp).loss - looObjective(minus, n, d, y, gp).loss) / (2 * h);
    }
    assert.ok(Math.max(...numeric.map(Math.abs)) > 1e-3, 'the problem must have a non-trivial gradient');
    const error = relativeError(gradE, numeric);
    assert.ok(error < 1e-5, `relative error ${error}`);
  });
}

test('closed-form LOO predictions equal refits without each point', () => {
  const rng = new Rng(3);
  const n = 9;
  const d = 5;
  const e = clusteredEmbeddings(n, d, rng, 0.08);
  const y = randomYs(n, rng);
  const loo = looPredictions(e, n, d, y);
  for (let i = 0; i < n; i++) {
    const keep = [...Array(n).keys()].filter((j) => j !== i);
    const rest = new Float64Array(keep.flatMap((j) => Array.from(e.subarray(j * d, (j + 1) * d))));
    const refit = conditionGp(rest, n - 1, d, keep.map((j) => y[j]));
    const single = posterior(refit, e.slice(i * d, (i + 1) * d), 1);
    assert.ok(Math.abs(single.mu[0] - loo.mu[i]) < 1e-10, `mu ${i}`);
    assert.ok(Math.abs(single.sigma[0] - loo.sigma[i]) < 1e-10, `sigma ${i}`);
  }
});

test('LOO loss is the mean negative log density of the LOO predictions', () => {
  const rng = new Rng(4);
  const n = 6;
  const d = 4;
  const e = clusteredEmbeddings(n, d, rng, 0.1);
  const y = randomYs(n, rng);
  const { mu, sigma } = looPredictions(e, n, d, y);
  let expected = 0;
  for (let i = 0; i < n; i++) expected += 0.5 * Math.log(2 * Math.PI) + Math.log(sigma[i]) + (y[i] - mu[i]) ** 2 / (2 * sigma[i] ** 2);
  assert.ok(Math.abs(looObjective(e, n, d, y).loss - expected / n) < 1e-12);
});

test('posterior equals the direct formulas with an explicit inverse', () => {
  const rng = new Rng(5);
  const n = 6;
  const m = 4;
  const d = 3;
  const gp = { rbfSigma2: 0.02, noise: 0.05 };
  const e = clusteredEmbeddings(n, d, rng, 0.1);
  const points = clusteredEmbeddings(m, d, rng, 0.1);
  const y = randomYs(n, rng);
  const a = rbfKernel(e, n, e, n, d, gp.rbfSigma2);
  for (let i = 0; i < n; i++) a[i * n + i] += gp.noise;
  const inv = inverseFromCholesky(cholesky(a, n), n);
  const predicted = posterior(conditionGp(e, n, d, y, gp), points, m);
  for (let p = 0; p < m; p++) {
    const k = rbfKernel(points.subarray(p * d, (p + 1) * d), 1, e, n, d, gp.rbfSigma2);
    let mean = 0;
    let quad = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        mean += k[i] * inv[i * n + j] * y[j];
        quad += k[i] * inv[i * n + j] * k[j];
      }
    }
    assert.ok(Math.abs(predicted.mu[p] - mean) < 1e-10);
    assert.ok(Math.abs(predicted.sigma[p] - Math.sqrt(1 - quad + gp.noise)) < 1e-10);
  }
  const far = posterior(conditionGp(e, n, d, y, gp), Float64Array.from([10, 10, 10]), 1);
  assert.ok(Math.abs(far.mu[0]) < 1e-12 && Math.abs(far.sigma[0] - Math.sqrt(1 + gp.noise)) < 1e-12, 'far from the data: the prior');
});
