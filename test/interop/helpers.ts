import assert from 'node:assert/strict';

/** Equal within `relative` of the largest expected magnitude. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= relative * scale, `largest difference ${worst} is more than ${relative} x ${scale}`);
}
