import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allInOrder } from '../../engine/util/promises';

const settleAfter = <T>(ms: number, outcome: () => T): Promise<T> => new Promise((resolve, reject) => setTimeout(() => {
  try {
    resolve(outcome());
  } catch (err) {
    reject(err);
  }
}, ms));

test('allInOrder: with several failures, the first in list order is thrown, not the first to happen', async () => {
  const late = settleAfter(30, () => {
    throw new Error('first file');
  });
  const early = settleAfter(0, () => {
    throw new Error('second file');
  });
  await assert.rejects(allInOrder([late, early]), /^Error: first file$/);
});

test('allInOrder: values in list order when all succeed', async () => {
  assert.deepEqual(await allInOrder([settleAfter(20, () => 'a'), settleAfter(0, () => 1)]), ['a', 1]);
});
