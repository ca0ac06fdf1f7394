// Issue 15, class 4/8: a run that proposes with another run's kernels (--kernels-from) records
// them in run.json and keeps copies, so that its resume proposes with the very same kernels:
// whether the other run has changed since, is gone, or a resume names another source.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunDirectory } from '../../engine/run/run-directory';
import { compress } from '../../engine/search/compress';
import { TRANSFERRED_KERNELS } from '../../engine/search/transfer';
import { UserError } from '../../engine/util/errors';
import { TINY_SEARCH } from '../support/tiny-search';

const TEACHER = join(import.meta.dirname, '..', '..', 'examples/teachers/vgg-mini-mnist.arch.yaml');

const kernelJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { embedding: unknown; fit?: unknown };

test('a resumed kernel transfer proposes with the kernels it began with: source unchanged, changed, gone, or another named', async () => {
  const root = mkdtempSync(join(tmpdir(), 'esnac-kernels-resume-'));
  const source = join(root, 'source');
  assert.equal((await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir: source, settings: TINY_SEARCH })).cancelled, false);
  const swap = (dir: string) => {
    const [a, b] = ['step-2-kernel-1.json', 'step-2-kernel-2.json'].map((f) => join(dir, 'kernels', f));
    renameSync(a, `${a}.x`);
    renameSync(b, a);
    renameSync(`${a}.x`, b);
  };
  const variants: Array<[string, (dir: string) => void, RegExp | undefined]> = [
    ['unchanged', () => {}, undefined],
    ['changed (its two kernels swapped)', swap, /have changed since this run began \(step-2-kernel-1\.json, step-2-kernel-2\.json\)/],
    ['gone', (dir) => rmSync(dir, { recursive: true }), /are gone/],
  ];
  for (const [what, change, warning] of variants) {
    const from = join(root, `from-${what.split(' ')[0]}`);
    cpSync(source, from, { recursive: true });
    const runDir = join(root, `run-${what.split(' ')[0]}`);
    // The first attempt stops after step 1 (random), before any kernel proposes.
    const stop = new AbortController();
    let evaluated = 0;
    const first = await compress(
      { teacherPath: TEACHER, dataset: 'mnist', runDir, kernelsFrom: from, teacherWeights: join(source, 'teacher.weights'), settings: TINY_SEARCH },
      { candidate: () => ++evaluated === 2 && stop.abort(new Error('stopped')) },
      stop.signal,
    );
    assert.equal(first.cancelled, true, what);
    const recorded = RunDirectory.open(runDir).manifest.kernelsFrom;
    assert.deepEqual(recorded && { run: recorded.run, files: recorded.files }, { run: from, files: ['step-2-kernel-1.json', 'step-2-kernel-2.json'] }, what);
    change(from);
    if (existsSync(from)) {
      await assert.rejects(compress({ resume: runDir, kernelsFrom: source }), (err) => err instanceof UserError && /proposes with the kernels of .*from-.*: --kernels-from .*source cannot change that on resume/.test(err.message), what);
    }
    const logs: string[] = [];
    const resumed = await compress({ resume: runDir, ...(existsSync(from) && { kernelsFrom: from }) }, { log: (line) => logs.push(line) });
    assert.equal(resumed.cancelled, false, what);
    const warned = logs.filter((line) => line.startsWith('warning: the kernels transferred'));
    if (warning) assert.match(warned.join('\n'), warning, what);
    else assert.deepEqual(warned, [], what);
    for (const k of [1, 2]) {
      const used = kernelJson(join(runDir, 'kernels', `step-2-kernel-${k}.json`));
      assert.equal(used.fit, undefined, `${what}: kernel ${k} was transferred, not fitted`);
      assert.deepEqual(used.embedding, kernelJson(join(source, 'kernels', `step-2-kernel-${k}.json`)).embedding, `${what}: kernel ${k} is the one the run began with`);
      assert.equal(readFileSync(join(runDir, TRANSFERRED_KERNELS, `step-2-kernel-${k}.json`), 'utf8'), readFileSync(join(source, 'kernels', `step-2-kernel-${k}.json`), 'utf8'));
    }
  }
});
