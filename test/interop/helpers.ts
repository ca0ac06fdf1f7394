import assert from 'node:assert/strict';

/** The largest difference as a fraction of the largest expected magnitude. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

/** Equal within `relative` of the largest expected magnitude; returns the relative error. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): number {
  const error = relativeError(actual, expected);
  assert.ok(error <= relative, `largest difference is ${error} of the largest output, more than ${relative}`);
  return error;
}
