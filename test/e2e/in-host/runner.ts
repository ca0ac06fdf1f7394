// A minimal sequential test runner for the extension host (mocha is not a dependency). Each
// result is printed as a line, and appended as JSON to $ESNAC_E2E_RESULTS when the harness set
// it, so the harness can turn every in-host test into its own node:test subtest.
import { appendFileSync } from 'node:fs';

export interface HostTest {
  name: string;
  timeoutMs: number;
  run: () => Promise<void> | void;
}

export interface HostTestResult {
  name: string;
  ok: boolean;
  seconds: number;
  /** The failure's message and, apart, its stack. */
  error?: string;
  stack?: string;
}

/** Runs the tests in order; rejects (so the host exits non-zero) when any failed. */
export async function runHostTests(tests: HostTest[]): Promise<void> {
  let failed = 0;
  for (const test of tests) {
    const started = Date.now();
    const error = await runOne(test);
    const seconds = (Date.now() - started) / 1000;
    const result: HostTestResult = { name: test.name, ok: error === undefined, seconds, ...(error ? { error: error.message, stack: error.stack } : {}) };
    if (!result.ok) failed++;
    report(result);
  }
  if (failed > 0) throw new Error(`${failed} of ${tests.length} in-host tests failed`);
}

async function runOne(test: HostTest): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${test.timeoutMs / 1000} s`)), test.timeoutMs);
  });
  try {
    await Promise.race([test.run(), timeout]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
  }
}

function report(result: HostTestResult): void {
  const line = `${result.ok ? 'ok' : 'not ok'} - ${result.name} (${result.seconds.toFixed(1)} s)`;
  console.log(result.ok ? line : `${line}\n${result.stack ?? result.error}`);
  const file = process.env.ESNAC_E2E_RESULTS;
  if (file) appendFileSync(file, JSON.stringify(result) + '\n');
}
