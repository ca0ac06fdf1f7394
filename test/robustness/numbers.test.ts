// Issue 15, class 5: no NaN or infinity reaches the journal, and a teacher that cannot serve the
// search (0% accuracy, images or classes that do not fit the dataset) is refused before anything
// trains, naming both sides.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { loadDataset } from '../../engine/data';
import { encodeModel, writeModel } from '../../engine/model/io';
import { weightSpecs } from '../../engine/model/weights';
import { Journal, JournalEvent } from '../../engine/run/journal';
import { compress } from '../../engine/search/compress';
import { loadSpecFile } from '../../engine/architecture/validate';
import { specToText } from '../../engine/architecture/write';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { UserError } from '../../engine/util/errors';
import { zooTeacher } from '../../engine/zoo';
import { TINY_SEARCH } from '../support/tiny-search';

const TEACHER = 'examples/teachers/vgg-mini-mnist.arch.yaml';

test('the journal refuses NaN and infinities anywhere in an event, and keeps its file as it was', () => {
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'esnac-journal-')), 'journal.jsonl'));
  const ok: JournalEvent = { type: 'candidate', step: 1, name: 'a', key: 'k', spec: 's', action: { depth: 1 }, proposedBy: 'random', status: 'ok', params: 10, accuracy: 0.5, f: 0.1, seconds: 1 };
  journal.append(ok);
  const before = readFileSync(journal.path, 'utf8');
  const bad: Array<[string, JournalEvent]> = [
    ['f', { ...ok, f: NaN }],
    ['accuracy', { ...ok, accuracy: Infinity }],
    ['seconds', { ...ok, seconds: -Infinity }],
    ['action.depth', { ...ok, action: { depth: NaN } }],
    ['accuracy', { type: 'teacher', accuracy: NaN, params: 1, weights: 'w', trained: true, seconds: 1 }],
    ['f', { type: 'done', best: 'a', bestSpec: 'b', f: NaN }],
  ];
  for (const [field, event] of bad) assert.throws(() => journal.append(event), new RegExp(`whose ${field.replace('.', '\\.')} is not a finite number`));
  assert.equal(readFileSync(journal.path, 'utf8'), before);
});

/** A spec file of `spec` in a new folder. */
function specFile(spec: ArchitectureSpec): string {
  const file = join(mkdtempSync(join(tmpdir(), 'esnac-teacher-')), 'teacher.arch.json');
  writeFileSync(file, specToText(spec, 'json'));
  return file;
}

test('a teacher whose images or classes do not fit the dataset is refused before the run folder, naming both', async () => {
  const mnist = await loadSpecFile(TEACHER);
  const last = [...mnist.layers].reverse().find((l) => l.type === 'linear')!;
  const thousand = { ...mnist, name: 'thousand-classes', classes: 1000, layers: mnist.layers.map((l) => (l === last ? { ...l, out: 1000 } : l)) } as ArchitectureSpec;
  const cases: Array<[ArchitectureSpec, string, RegExp]> = [
    [zooTeacher('vgg-mini', 'cifar10'), 'mnist', /vgg-mini-cifar10 does not fit the dataset mnist: it takes 3x32x32 images, mnist has 1x28x28/],
    [zooTeacher('resnet-mini', 'cifar100'), 'mnist', /takes 3x32x32 images, mnist has 1x28x28; it has 100 classes, mnist has 10/],
    [thousand, 'mnist', /thousand-classes does not fit the dataset mnist: it has 1000 classes, mnist has 10\. Use a teacher made for mnist/],
  ];
  for (const [spec, dataset, message] of cases) {
    const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-fit-')), 'run');
    await assert.rejects(compress({ teacherPath: specFile(spec), dataset, runDir, settings: TINY_SEARCH }), (err) => err instanceof UserError && message.test(err.message));
    assert.equal(existsSync(runDir), false, 'no run folder');
  }
});

test('a teacher scoring 0% is refused with what to do; no NaN is journalled, and resuming says the same', async () => {
  await initBackend('cpu');
  const spec = await loadSpecFile(TEACHER);
  const limitValidation = 4;
  const labels = (await loadDataset('mnist', { limitValidation })).validation.labels;
  const absent = [...Array(10).keys()].find((c) => !labels.includes(c))!;
  assert.notEqual(absent, undefined, 'some class is absent from the first validation examples');
  // Every weight zero but the last bias, which always picks a class the validation split lacks.
  const last = [...spec.layers].reverse().find((l) => l.type === 'linear')!;
  const weights = new Map(
    weightSpecs(spec).map((w) => [w.name, w.layer === last.id && w.kind === 'bias' ? tf.tensor1d(Array.from({ length: 10 }, (_, c) => (c === absent ? 1 : 0))) : tf.zeros(w.shape)]),
  );
  const weightsDir = join(mkdtempSync(join(tmpdir(), 'esnac-zero-')), 'teacher');
  writeModel(weightsDir, await encodeModel(spec, weights));
  weights.forEach((t) => t.dispose());
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-zero-run-')), 'run');
  const options = { teacherPath: TEACHER, dataset: 'mnist', teacherWeights: weightsDir, runDir, settings: { ...TINY_SEARCH, limitValidation } };
  const refused = /teacher vgg-mini-mnist scores 0\.00% on the validation split of mnist: .* may not be trained for mnist/;
  await assert.rejects(compress(options), refused);
  await assert.rejects(compress({ resume: runDir }), refused);
  assert.equal(readFileSync(join(runDir, 'journal.jsonl'), { encoding: 'utf8', flag: 'a+' }), '', 'nothing journalled');
});
