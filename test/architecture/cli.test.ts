// `esnac validate`, `stats` and `diff`: output formats and exit codes, through the real CLI entry.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const TEACHER = 'test/architecture/fixtures/tiny-resnet.arch.yaml';
const STUDENT = 'test/architecture/fixtures/tiny-resnet-student.arch.json';

function esnac(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'esnac-cli-'));
const bad = join(dir, 'bad.arch.yaml');
writeFileSync(bad, 'format: esnac.architecture/v1\nname: bad\ninput: {channels: 3, height: 8, width: 8}\nclasses: 4\nlayers:\n  - {id: fc, type: linear, out: 4}\n  - {id: fc, type: relu}\n');

test('validate: a summary line per valid file, exit 0', () => {
  const run = esnac('validate', TEACHER, STUDENT);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(
    run.stdout,
    `${TEACHER}: tiny-resnet: 15 layers, 3.71K params, 848K MACs\n${STUDENT}: tiny-resnet-student: 14 layers, 1.14K params, 240K MACs\n`,
  );
});

test('validate: FILE:LINE:COL: message per problem, exit 1, other files still checked', () => {
  const run = esnac('validate', bad, TEACHER, join(dir, 'missing.arch.json'));
  assert.equal(run.status, 1);
  assert.equal(
    run.stdout,
    [
      // Both problems: the duplicate id does not hide the first layer's shape.
      `${bad}:6:5: linear 'fc' needs flat features but receives 3x8x8: add a flatten or globalavgpool layer before it`,
      `${bad}:7:10: duplicate layer id 'fc' (layers[0] has it already)`,
      `${TEACHER}: tiny-resnet: 15 layers, 3.71K params, 848K MACs`,
      `${join(dir, 'missing.arch.json')}: cannot read the file: no such file`,
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/); // no stack trace
});

test('stats --json: totals and one row per layer', () => {
  const run = esnac('stats', TEACHER, '--json');
  assert.equal(run.status, 0, run.stderr);
  const stats = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(stats), ['params', 'macs', 'layers']);
  assert.equal(stats.params, 3706);
  assert.equal(stats.layers.length, 15);
  assert.deepEqual(stats.layers[10], { id: 'merge', type: 'concat', shape: [32, 8, 8], params: 0, macs: 0 });
  assert.equal(stats.macs, stats.layers.reduce((s: number, l: { macs: number }) => s + l.macs, 0));
});

test('stats: a table with totals', () => {
  const run = esnac('stats', STUDENT);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'tiny-resnet-student: 14 layers, 1.14K params, 240K MACs');
  assert.match(lines[2], /^id +type +output \(CxHxW\) +params +MACs$/);
  assert.match(lines.find((l) => l.startsWith('merge'))!, /^merge +concat +16x8x8 +0 +0$/);
  assert.match(lines.at(-1)!, /^total +1,138 +239,776$/);
});

test('stats on an invalid file: the problems on stderr, exit 1', () => {
  const run = esnac('stats', bad);
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, `esnac: ${bad}:6:5: linear 'fc' needs flat features but receives 3x8x8: add a flatten or globalavgpool layer before it\n${bad}:7:10: duplicate layer id 'fc' (layers[0] has it already)\n`);
});

test('diff: text and --json', () => {
  const text = esnac('diff', TEACHER, STUDENT);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^params: 3,706 -> 1,138 \(ratio 0\.3071, 3\.26x smaller\)$/m);
  const json = esnac('diff', TEACHER, STUDENT, '--json');
  assert.equal(json.status, 0, json.stderr);
  const diff = JSON.parse(json.stdout);
  assert.deepEqual(diff.removed.map((r: { id: string }) => r.id), ['b1_relu', 'drop']);
  assert.equal(diff.student.params, 1138);
});

test("export and import print esnac's lines only: not tfjs's advice to install tfjs-node (a cpu-backend tensor is made)", () => {
  const onnx = join(dir, 'tiny.onnx');
  const exported = esnac('export', TEACHER, '--to', 'onnx', '-o', onnx);
  assert.equal(exported.status, 0, exported.stderr);
  const imported = esnac('import', onnx, '-o', join(dir, 'tiny.arch.json'));
  assert.equal(imported.status, 0, imported.stderr);
  for (const run of [exported, imported]) assert.doesNotMatch(run.stdout + run.stderr, /TensorFlow\.js|tfjs-node|====/);
});
