import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readIdxPair } from '../../engine/data/idx';
import { loadDataset } from '../../engine/data/index';
import { UserError } from '../../engine/util/errors';

const HEIGHT = 4;
const WIDTH = 5;
const root = mkdtempSync(join(tmpdir(), 'esnac-idx-'));
after(() => rmSync(root, { recursive: true, force: true }));

function idx(rank: number, shape: number[], values: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * rank);
  header.writeUInt32BE(0x0800 | rank, 0);
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, values]);
}

/** Pixel (y, x) of image i: distinct across images and positions. */
function pixel(i: number, y: number, x: number): number {
  return (i * 37 + y * WIDTH + x * 3) % 256;
}

function images(count: number, first = 0): Buffer {
  const values = new Uint8Array(count * HEIGHT * WIDTH);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) values[(i * HEIGHT + y) * WIDTH + x] = pixel(first + i, y, x);
  }
  return idx(3, [count, HEIGHT, WIDTH], values);
}

function labels(values: number[]): Buffer {
  return idx(1, [values.length], Uint8Array.from(values));
}

interface IdxFiles {
  trainImages?: Buffer;
  trainLabels?: Buffer;
  testImages?: Buffer;
  testLabels?: Buffer;
}

const TRAIN_LABELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 7];
const TEST_LABELS = [9, 0, 4];

function writeIdxDir(name: string, gz: boolean, files: IdxFiles = {}): string {
  const dir = join(root, name);
  const contents: Array<[string, Buffer | undefined]> = [
    ['train-images-idx3-ubyte', 'trainImages' in files ? files.trainImages : images(TRAIN_LABELS.length)],
    ['train-labels-idx1-ubyte', 'trainLabels' in files ? files.trainLabels : labels(TRAIN_LABELS)],
    ['t10k-images-idx3-ubyte', 'testImages' in files ? files.testImages : images(TEST_LABELS.length, 100)],
    ['t10k-labels-idx1-ubyte', 'testLabels' in files ? files.testLabels : labels(TEST_LABELS)],
  ];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, data] of contents) {
    if (data) writeFileSync(join(dir, gz ? `${file}.gz` : file), gz ? gzipSync(data) : data);
  }
  return dir;
}

test('IDX: reads 3 images and labels, plain and gzipped', async () => {
  for (const gz of [false, true]) {
    const dir = writeIdxDir(gz ? 'small-gz' : 'small-plain', gz);
    const suffix = gz ? '.gz' : '';
    const pair = await readIdxPair(join(dir, `t10k-images-idx3-ubyte${suffix}`), join(dir, `t10k-labels-idx1-ubyte${suffix}`), 10);
    assert.equal(pair.count, 3);
    assert.equal(pair.height, HEIGHT);
    assert.equal(pair.width, WIDTH);
    assert.deepEqual([...pair.labels], TEST_LABELS);
    assert.equal(pair.pixels[(2 * HEIGHT + 3) * WIDTH + 1], pixel(102, 3, 1));
  }
});

test('IDX dataset: last 10% validates, test read when asked, normalisation from training statistics', async () => {
  const dataset = await loadDataset(`fashion-mnist:${writeIdxDir('split', true)}`);
  assert.deepEqual(dataset.input, { channels: 1, height: HEIGHT, width: WIDTH });
  assert.equal(dataset.classes, 10);
  assert.equal(dataset.augment, false);
  assert.deepEqual([...dataset.train.labels], TRAIN_LABELS.slice(0, 10));
  assert.deepEqual([...dataset.validation.labels], TRAIN_LABELS.slice(10));
  const { split: test } = await dataset.test!.read();
  assert.deepEqual([...test.labels], TEST_LABELS);

  const trainPixels = Array.from({ length: 10 * HEIGHT * WIDTH }, (_, k) => pixel(Math.floor(k / (HEIGHT * WIDTH)), Math.floor(k / WIDTH) % HEIGHT, k % WIDTH) / 255);
  const mean = trainPixels.reduce((a, b) => a + b, 0) / trainPixels.length;
  const std = Math.sqrt(trainPixels.reduce((a, b) => a + (b - mean) ** 2, 0) / trainPixels.length);
  assert.ok(Math.abs(dataset.normalisation.mean[0] - mean) < 1e-9);
  assert.ok(Math.abs(dataset.normalisation.std[0] - std) < 1e-9);
  assert.equal(dataset.validation.pixels[1 * HEIGHT * WIDTH + 2 * WIDTH + 4], pixel(11, 2, 4));
  assert.equal(test.pixels[2 * WIDTH + 1], pixel(100, 2, 1));
});

test('IDX dataset: limits keep the first examples', async () => {
  const dataset = await loadDataset(`mnist:${writeIdxDir('limits', false)}`, { limitTrain: 4, limitValidation: 1 });
  assert.equal(dataset.name, 'mnist');
  assert.equal(dataset.train.count, 4);
  assert.equal(dataset.train.pixels.length, 4 * HEIGHT * WIDTH);
  assert.deepEqual([...dataset.validation.labels], [TRAIN_LABELS[10]]);
});

async function rejectsWith(files: IdxFiles, gz: boolean, file: string, problem: RegExp): Promise<void> {
  const dir = writeIdxDir('corrupt', gz, files);
  await assert.rejects(async () => (await loadDataset(`fashion-mnist:${dir}`)).test!.read(), (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    assert.ok(err.message.startsWith(join(dir, file)), err.message);
    assert.match(err.message, problem);
    return true;
  });
}

test('IDX dataset: each kind of damage names the file and the problem', async () => {
  await rejectsWith({ testLabels: undefined }, true, 't10k-labels-idx1-ubyte[.gz]', /: missing$/);
  await rejectsWith({ trainImages: labels([1, 2]) }, false, 'train-images-idx3-ubyte', /wrong magic number 0x00000801, expected 0x00000803/);
  await rejectsWith({ trainImages: images(12).subarray(0, 100) }, false, 'train-images-idx3-ubyte', /truncated: the header \(12 x 4 x 5\) promises 240 bytes of data, the file has 84/);
  await rejectsWith({ trainImages: images(12).subarray(0, 10) }, false, 'train-images-idx3-ubyte', /truncated: the IDX header needs 16 bytes, the file has 10/);
  await rejectsWith({ testLabels: labels([1, 2]) }, true, 't10k-labels-idx1-ubyte.gz', /2 labels, but .*t10k-images-idx3-ubyte.gz has 3 images/);
  await rejectsWith({ trainLabels: labels([...TRAIN_LABELS.slice(0, 5), 10, ...TRAIN_LABELS.slice(6)]) }, false, 'train-labels-idx1-ubyte', /label 10 of example 5 is out of range 0\.\.9/);
  await rejectsWith({ testImages: Buffer.concat([images(3), Buffer.from([1, 2])]) }, false, 't10k-images-idx3-ubyte', /corrupt: 2 bytes after the 3 x 4 x 5 values/);
});

test('IDX dataset: a broken gzip stream and a missing directory', async () => {
  const dir = writeIdxDir('broken-gz', true);
  const file = join(dir, 'train-labels-idx1-ubyte.gz');
  writeFileSync(file, gzipSync(labels(TRAIN_LABELS)).subarray(0, 20));
  await assert.rejects(loadDataset(`fashion-mnist:${dir}`), new RegExp(`${file}: gzip data is broken \\(unexpected end of file\\)`));
  await assert.rejects(loadDataset(`fashion-mnist:${join(root, 'absent')}`), /absent: dataset directory not found/);
});
