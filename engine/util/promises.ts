// Promise helpers whose outcome does not depend on timing.

/**
 * Like Promise.all, but when several fail it throws the failure of the first in list order, not
 * the first to happen: with several damaged files, the error a user sees does not depend on timing.
 */
export async function allInOrder<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
