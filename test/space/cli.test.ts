import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { encodeReport } from '../../engine/cli/encode';
import { sampleToFolder } from '../../engine/cli/sample';
import { applyAction, buildSearchSpace, Action } from '../../engine/space/space';
import { loadSpecFile } from '../../engine/architecture/validate';
import { specToText } from '../../engine/architecture/write';
import { zooTeacher } from '../../engine/zoo/index';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** Runs the real command line (engine/cli/main.ts) in a child process; returns its stdout. */
async function esnac(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join(ROOT, 'engine', 'cli', 'main.ts'), ...args], { cwd: ROOT });
  return stdout;
}

function withTeacher(run: (dir: string, teacherPath: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esnac-space-'));
    try {
      const teacherPath = join(dir, 'teacher.arch.yaml');
      writeFileSync(teacherPath, specToText(zooTeacher('resnet-mini', 'mnist'), 'yaml'));
      await run(dir, teacherPath);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'sample writes N valid candidates that regenerate from their teacher, and never overwrites',
  withTeacher(async (dir, teacherPath) => {
    const out = join(dir, 'out');
    const options = { n: 5, seed: 3, output: out, removal: true, shrink: true, skip: true };
    const printed = await sampleToFolder(teacherPath, options);
    const files = readdirSync(out).sort();
    assert.equal(files.length, 5);
    assert.ok(files.every((f) => /^resnet-mini-mnist-c[0-9a-f]{8}\.arch\.yaml$/.test(f)));
    assert.match(printed, /params {2}C=0\.\d{4} \(\d+\.\d\dx smaller\)/);
    const teacher = await loadSpecFile(teacherPath);
    const space = buildSearchSpace(teacher);
    for (const file of files) {
      const spec = await loadSpecFile(join(out, file));
      assert.equal(spec.candidate!.teacherPath, '../teacher.arch.yaml');
      const { teacherPath: _path, ...origin } = spec.candidate!;
      assert.deepEqual({ ...applyAction(space, origin.action as Action), candidate: spec.candidate }, spec);
    }
    const first = join(out, files[0]);
    writeFileSync(first, 'edited by hand\n');
    const again = await sampleToFolder(teacherPath, options);
    assert.equal(readFileSync(first, 'utf8'), 'edited by hand\n');
    assert.equal(again.match(/exists, kept/g)?.length, 5);
  }),
);

test(
  'esnac sample --no-skip --no-shrink makes removal-only candidates',
  withTeacher(async (dir, teacherPath) => {
    const out = join(dir, 'out');
    await esnac('sample', teacherPath, '-n', '3', '-o', out, '--no-skip', '--no-shrink');
    for (const file of readdirSync(out)) {
      const action = (await loadSpecFile(join(out, file))).candidate!.action as Action;
      assert.ok(action.remove.length > 0);
      assert.deepEqual([action.shrink, action.skip], [{}, []]);
    }
  }),
);

test(
  'encode prints the matrix as JSON, and a row per layer otherwise',
  withTeacher(async (_dir, teacherPath) => {
    const json = JSON.parse(await encodeReport(teacherPath, true));
    assert.equal(json.rows, 28);
    assert.equal(json.width, 272);
    assert.equal(json.matrix.length, 28);
    assert.ok(json.matrix.every((r: number[]) => r.length === 272));
    assert.equal(json.layers[0], 'conv1');
    const text = await encodeReport(teacherPath, false);
    assert.match(text, /^resnet-mini-mnist: 28 rows x 272\n/);
    assert.match(text, /\n {3}0 {2}conv1 {2}conv {2}kernel=3 stride=1 padding=1 groups=1 in=1 out=16 {2}edges \+1\n/);
    // The residual sum of the first block reads bn2 (offset 1) and the stem relu (offset 6).
    assert.match(text, /layer1\.0\.relu2 {2}relu {2}- {2}edges -1 -6 \+1/);
  }),
);
