// Teacher/student diff on a hand-made pair whose differences are known.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffSpecs, formatDiff } from '../../engine/architecture/diff';
import { loadSpecFile } from '../../engine/architecture/validate';

const FIXTURES = join(__dirname, 'fixtures');
const load = () => Promise.all([loadSpecFile(join(FIXTURES, 'tiny-resnet.arch.yaml')), loadSpecFile(join(FIXTURES, 'tiny-resnet-student.arch.json'))]);

test('the diff finds every change made to the teacher', async () => {
  const [teacher, student] = await load();
  const diff = diffSpecs(teacher, student);
  assert.deepEqual(diff.removed, [
    { id: 'b1_relu', type: 'relu', how: 'dropped' },
    { id: 'drop', type: 'dropout', how: 'identity' },
  ]);
  assert.deepEqual(diff.added, []);
  assert.deepEqual(diff.retyped, []);
  assert.deepEqual(diff.channels, [
    { id: 'stem', type: 'conv', out: { from: 16, to: 8 } },
    { id: 'b1_conv1', type: 'conv', in: { from: 16, to: 8 }, out: { from: 16, to: 8 } },
    { id: 'b1_conv2', type: 'conv', in: { from: 16, to: 8 }, out: { from: 16, to: 8 } },
    { id: 'fc', type: 'linear', in: { from: 32, to: 16 } },
  ]);
  assert.deepEqual(diff.attributes, [
    { id: 'side', type: 'avgpool', attribute: 'kernel', from: 3, to: 5 },
    { id: 'side', type: 'avgpool', attribute: 'padding', from: 1, to: 2 },
  ]);
  assert.deepEqual(diff.edges, {
    added: [{ from: 'b1_conv1', to: 'b1_conv2' }],
    removed: [
      { from: 'b1_conv1', to: 'b1_relu' },
      { from: 'b1_relu', to: 'b1_conv2' },
    ],
  });
  // By hand: teacher 448 + 32 + 2304 + 592 + 330; student 224 + 16 + 576 + 152 + 170.
  assert.equal(diff.teacher.params, 3706);
  assert.equal(diff.student.params, 1138);
  assert.equal(diff.paramRatio, 1138 / 3706);
  assert.equal(diff.timesSmaller, 3706 / 1138);
});

test('the text form names each change', async () => {
  const [teacher, student] = await load();
  const lines = formatDiff(diffSpecs(teacher, student)).split('\n');
  for (const expected of [
    'params: 3,706 -> 1,138 (ratio 0.3071, 3.26x smaller)',
    '  b1_relu (relu): dropped',
    '  drop (dropout): replaced by identity',
    '  b1_conv1 (conv): in 16 -> 8, out 16 -> 8',
    '  fc (linear): in 32 -> 16',
    '  side (avgpool): kernel 3 -> 5',
    'edges added (1):',
    '  b1_conv1 -> b1_conv2',
  ]) {
    assert.ok(lines.includes(expected), `missing line: ${expected}`);
  }
});

test('a spec against itself has no differences', async () => {
  const [teacher] = await load();
  const diff = diffSpecs(teacher, teacher);
  assert.equal(diff.paramRatio, 1);
  assert.match(formatDiff(diff), /no layer, channel or edge differences$/);
});
