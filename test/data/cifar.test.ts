import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Split, loadDataset } from '../../engine/data/index';
import { UserError } from '../../engine/util/errors';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const root = mkdtempSync(join(tmpdir(), 'esnac-cifar-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Channel c of pixel (y, x) in image i: distinct per channel so a wrong plane order shows. */
function pixel(i: number, y: number, x: number, c: number): number {
  return (i * 11 + c * 80 + y * 3 + x) % 256;
}

/** Records in the CIFAR binary layout: label byte(s), then the red, green and blue planes. */
function records(labelSets: number[][], firstImage: number): Buffer {
  const recordBytes = labelSets[0].length + 3 * PLANE;
  const out = Buffer.alloc(labelSets.length * recordBytes);
  labelSets.forEach((labels, r) => {
    const start = r * recordBytes;
    labels.forEach((l, k) => (out[start + k] = l));
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < PLANE; p++) out[start + labels.length + c * PLANE + p] = pixel(firstImage + r, Math.floor(p / SIDE), p % SIDE, c);
    }
  });
  return out;
}

function writeFiles(dir: string, files: Record<string, Buffer>): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

/** Five training batches of two images (labels 0..9 in order) and a test batch of three. */
function cifar10Files(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let b = 0; b < 5; b++) files[`data_batch_${b + 1}.bin`] = records([[2 * b], [2 * b + 1]], 2 * b);
  files['test_batch.bin'] = records([[7], [3], [0]], 100);
  return files;
}

/** The stored byte of image i at (y, x, c) (NHWC). */
function at(split: Split, i: number, y: number, x: number, c: number): number {
  return split.pixels[((i * SIDE + y) * SIDE + x) * 3 + c];
}

test('CIFAR-10: five batches then test, 90/10 split, planes become channels-last', async () => {
  const dataset = await loadDataset(`cifar10:${writeFiles(join(root, 'c10'), cifar10Files())}`);
  assert.equal(dataset.name, 'cifar10');
  assert.deepEqual(dataset.input, { channels: 3, height: 32, width: 32 });
  assert.equal(dataset.classes, 10);
  assert.equal(dataset.augment, true);
  assert.deepEqual([...dataset.train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...dataset.validation.labels], [9]);
  const { split: test } = await dataset.test!.read();
  assert.deepEqual([...test.labels], [7, 3, 0]);
  assert.equal(dataset.train.pixels.length, 9 * 3 * PLANE);
  for (const [i, y, x, c] of [[0, 0, 0, 0], [4, 5, 31, 1], [8, 31, 2, 2]]) {
    assert.equal(at(dataset.train, i, y, x, c), pixel(i, y, x, c), `train ${i} (${y}, ${x}, ${c})`);
  }
  assert.equal(at(dataset.validation, 0, 7, 9, 2), pixel(9, 7, 9, 2));
  assert.equal(at(test, 2, 30, 1, 0), pixel(102, 30, 1, 0));
});

test('CIFAR-10: the unpacked archive folder is found inside DIR', async () => {
  writeFiles(join(root, 'outer', 'cifar-10-batches-bin'), cifar10Files());
  const dataset = await loadDataset(`cifar10:${join(root, 'outer')}`);
  assert.equal(dataset.source, join(root, 'outer', 'cifar-10-batches-bin'));
  assert.equal(dataset.train.count, 9);
});

test('CIFAR-100: the fine label (second byte) is the class', async () => {
  const train = records(Array.from({ length: 10 }, (_, i) => [i % 20, 50 + i * 5]), 0);
  const dir = writeFiles(join(root, 'c100'), { 'train.bin': train, 'test.bin': records([[19, 99], [0, 0]], 50) });
  const dataset = await loadDataset(`cifar100:${dir}`);
  assert.equal(dataset.classes, 100);
  assert.deepEqual([...dataset.train.labels], [50, 55, 60, 65, 70, 75, 80, 85, 90]);
  assert.deepEqual([...dataset.validation.labels], [95]);
  const { split: test } = await dataset.test!.read();
  assert.deepEqual([...test.labels], [99, 0]);
  assert.equal(at(test, 1, 3, 4, 1), pixel(51, 3, 4, 1));
});

/** Loads the dataset and reads its test split: damage there shows only when it is read. */
async function loadWithTest(name: string): Promise<void> {
  await (await loadDataset(name)).test!.read();
}

async function rejectsWith(kind: string, dir: string, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(loadWithTest(`${kind}:${dir}`), (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    assert.ok(err.message.startsWith(`${join(dir, file)}: `), err.message);
    assert.match(err.message, problem);
    return true;
  });
}

test('CIFAR: each kind of damage names the file and the problem', async () => {
  const dir = join(root, 'corrupt');
  const { 'data_batch_3.bin': _, ...withoutBatch3 } = cifar10Files();
  await rejectsWith('cifar10', writeFiles(dir, withoutBatch3), 'data_batch_3.bin', /: missing$/);

  const truncated = cifar10Files();
  truncated['test_batch.bin'] = truncated['test_batch.bin'].subarray(0, 3073 + 100);
  await rejectsWith('cifar10', writeFiles(dir, truncated), 'test_batch.bin', /truncated: 3173 bytes is not a whole number of 3073-byte records/);

  const outOfRange = cifar10Files();
  outOfRange['data_batch_2.bin'] = records([[2], [10]], 0);
  await rejectsWith('cifar10', writeFiles(dir, outOfRange), 'data_batch_2.bin', /label 10 of example 1 is out of range 0\.\.9/);

  const empty = { ...cifar10Files(), 'test_batch.bin': Buffer.alloc(0) };
  await rejectsWith('cifar10', writeFiles(dir, empty), 'test_batch.bin', /: empty$/);

  const fine = records([[0, 1], [0, 100]], 0);
  await rejectsWith('cifar100', writeFiles(dir, { 'train.bin': fine, 'test.bin': fine }), 'train.bin', /label 100 of example 1 is out of range 0\.\.99/);

  const cifar10Records = cifar10Files()['data_batch_1.bin'];
  const wrongFormat = { 'train.bin': cifar10Records, 'test.bin': records([[0, 1]], 0) };
  await rejectsWith('cifar100', writeFiles(dir, wrongFormat), 'train.bin', /not a whole number of 3074-byte records \(2 label byte\(s\)/);
});
