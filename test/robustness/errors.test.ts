// Issue 15, class 3: an error after start-up ends the command: the inputs are checked before
// anything starts, and the CLI exits with the error's message (no stack trace, no hang).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compress } from '../../engine/search/compress';
import { UserError } from '../../engine/util/errors';
import { TINY_SEARCH } from '../support/tiny-search';

const ROOT = join(import.meta.dirname, '..', '..');
const TEACHER = 'examples/teachers/vgg-mini-mnist.arch.yaml';

/** A folder shaped like a run whose last step's kernel files hold `texts`. */
function kernelsRun(texts: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-kernels-'));
  mkdirSync(join(dir, 'kernels'));
  texts.forEach((text, k) => writeFileSync(join(dir, 'kernels', `step-2-kernel-${k + 1}.json`), text));
  return dir;
}

/** `esnac compress ARGS` from source; its exit, at most two minutes later. */
function esnacCompress(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'engine', 'cli', 'main.ts'), 'compress', TEACHER, '--dataset', 'mnist', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

const BAD_KERNELS: Array<[string, string[], RegExp]> = [
  ['a truncated kernel file', ['{"format": "esnac.kernel/v1", "gp": {"rbfSig'], /step-2-kernel-1\.json: not a saved kernel/],
  ['a second kernel truncated', ['{}', '{"form'], /step-2-kernel-(1|2)\.json: not a saved kernel/],
  ['a kernel of another format', ['{"format": "something else"}'], /step-2-kernel-1\.json: not a saved kernel/],
  ['no kernels at all', [], /no saved kernels to transfer/],
];

for (const [what, texts, message] of BAD_KERNELS) {
  test(`--kernels-from with ${what}: refused before the run or its workers start`, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'esnac-errors-')), 'run');
    await assert.rejects(compress({ teacherPath: TEACHER, dataset: 'mnist', runDir: out, kernelsFrom: kernelsRun(texts), settings: TINY_SEARCH }), (err) => err instanceof UserError && message.test(err.message));
    if (!/format/.test(what)) assert.equal(existsSync(out), false, 'no run folder was made');
  });
}

test('the CLI exits with the message alone after errors before and after the run folder exists', () => {
  const root = mkdtempSync(join(tmpdir(), 'esnac-errors-cli-'));
  const wrongWeights = join(root, 'weights');
  mkdirSync(wrongWeights);
  writeFileSync(join(wrongWeights, 'model.json'), '{"format": "esnac.weights/v1", "weightsManifest": []}');
  const cases: Array<[string[], RegExp]> = [
    [['--kernels-from', kernelsRun(['{"trunc'])], /step-2-kernel-1\.json: not a saved kernel/],
    [['--kernels-from', kernelsRun(['{"format": "x"}'])], /not a saved kernel/],
    [['--teacher-weights', wrongWeights, '--limit-train', '64', '--limit-validation', '32'], /weights/],
    [['--dataset', 'cifar10:/nonexistent/cifar'], /cifar/],
  ];
  for (const [k, [args, message]] of cases.entries()) {
    const r = esnacCompress(['--output', join(root, `run-${k}`), '--steps', '1', '--kernels', '1', '--epochs', '1', '--workers', '1', ...args]);
    assert.equal(r.signal, null, `exited by itself: ${args.join(' ')}`);
    assert.equal(r.status, 1, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at .*\.[jt]s:\d+/, 'no stack trace');
  }
  assert.deepEqual(readdirSync(root).filter((f) => f === 'run-0' || f === 'run-3'), [], 'inputs refused before a run folder');
});
