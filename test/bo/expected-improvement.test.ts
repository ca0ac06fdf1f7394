import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erfc, expectedImprovement, expectedImprovementAt, normalCdf, normalPdf } from '../../engine/bo/acquisition/expected-improvement';

test('normal CDF and erfc match reference values to 1.2e-7 relative', () => {
  const cases: [number, number][] = [
    [0, 0.5],
    [1.959963984540054, 0.975],
    [-1, 0.15865525393145707],
    [2.5, 0.9937903346742238],
    [-5, 2.866515718791939e-7],
    [-8, 6.22096057427178e-16],
  ];
  for (const [z, expected] of cases) {
    const got = normalCdf(z);
    assert.ok(Math.abs(got - expected) / expected < 1.2e-7, `Phi(${z}) = ${got}, expected ${expected}`);
  }
  assert.ok(Math.abs(erfc(0.5) - 0.4795001221869535) < 1e-7);
  assert.ok(Math.abs(erfc(-0.5) - 1.5204998778130465) < 1e-7);
});

test('expected improvement at known values', () => {
  assert.ok(Math.abs(expectedImprovementAt(0.3, 1, 0.3) - normalPdf(0)) < 1e-15);
  assert.ok(Math.abs(normalPdf(0) - 0.3989422804014327) < 1e-15);
  // sigma = 2, gain 1: z = 0.5, EI = Phi(0.5) + 2 phi(0.5).
  assert.ok(Math.abs(expectedImprovementAt(1.5, 2, 0.5) - (0.6914624612740131 + 2 * 0.3520653267642995)) < 1e-7);
  // Far below the best: EI > 0 but tiny, and still ordered by the mean.
  const low = expectedImprovementAt(-6, 1, 0);
  const lower = expectedImprovementAt(-7, 1, 0);
  assert.ok(low > lower && lower > 0);
  assert.equal(expectedImprovementAt(0.7, 0, 0.5), 0.7 - 0.5);
  assert.equal(expectedImprovementAt(0.2, 0, 0.5), 0);
  assert.deepEqual(Array.from(expectedImprovement([0.3, 1.5], [1, 2], 0.3)), [expectedImprovementAt(0.3, 1, 0.3), expectedImprovementAt(1.5, 2, 0.3)]);
});
