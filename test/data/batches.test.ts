import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batch, CROP_PADDING, ImageShape, Normalisation, Split, batchCount, batches, shiftAndFlip } from '../../engine/data/index';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';

const INPUT: ImageShape = { channels: 2, height: 6, width: 7 };
const SIZE = 2 * 6 * 7;
const IDENTITY: Normalisation = { rule: 'none', mean: [0, 0], std: [1, 1] };

/** Example i: every value distinct (and non-zero) across examples, positions and channels. */
function makeSplit(count: number): Split {
  const pixels = Float32Array.from({ length: count * SIZE }, (_, k) => k + 1);
  return { pixels, scale: 1, labels: Int32Array.from({ length: count }, (_, i) => i), count };
}

function image(split: Split, i: number): Float32Array {
  return split.pixels.subarray(i * SIZE, (i + 1) * SIZE) as Float32Array;
}

/** The augmentation written the obvious way: pad with zeros, crop at (top, left), then mirror. */
function padCropFlip(src: Float32Array, input: ImageShape, top: number, left: number, flip: boolean): Float32Array {
  const { channels, height, width } = input;
  const p = CROP_PADDING;
  const padded = new Float32Array((height + 2 * p) * (width + 2 * p) * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) padded[((y + p) * (width + 2 * p) + x + p) * channels + c] = src[(y * width + x) * channels + c];
    }
  }
  const out = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cx = flip ? width - 1 - x : x;
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = padded[((y + top) * (width + 2 * p) + cx + left) * channels + c];
    }
  }
  return out;
}

function epoch(split: Split, seed: number | Rng, batchSize: number, augment = false): Batch[] {
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return copies(batches(split, { input: INPUT, normalisation: IDENTITY, augment }, batchSize, rng));
}

/** Copies each batch as it comes: the iterator reuses its arrays for the next batch. */
function copies(iterator: Iterable<Batch>): Batch[] {
  const list: Batch[] = [];
  for (const b of iterator) list.push({ x: b.x.slice(), y: b.y.slice(), count: b.count });
  return list;
}

function order(batchList: Batch[]): number[] {
  return batchList.flatMap((b) => [...b.y]);
}

test('batches: one epoch covers every example once, last batch partial, images follow labels', () => {
  const split = makeSplit(10);
  const list = epoch(split, 1, 4);
  assert.deepEqual(list.map((b) => b.count), [4, 4, 2]);
  assert.equal(batchCount(split, 4), 3);
  assert.deepEqual(list.map((b) => b.x.length), [4 * SIZE, 4 * SIZE, 2 * SIZE]);
  assert.deepEqual([...order(list)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const b of list) {
    b.y.forEach((label, k) => assert.deepEqual(b.x.subarray(k * SIZE, (k + 1) * SIZE), image(split, label)));
  }
});

test('batches: the same seed gives the same order, other seeds and later epochs differ', () => {
  const split = makeSplit(40);
  assert.deepEqual(order(epoch(split, 7, 8)), order(epoch(split, 7, 8)));
  assert.notDeepEqual(order(epoch(split, 7, 8)), order(epoch(split, 8, 8)));
  const rng = new Rng(7);
  assert.notDeepEqual(order(epoch(split, rng, 8)), order(epoch(split, rng, 8)));
  const unshuffled = copies(batches(split, { input: INPUT, normalisation: IDENTITY, augment: false }, 16, new Rng(1), { shuffle: false }));
  assert.deepEqual(order(unshuffled), [...split.labels]);
});

test('batches: a batch size that is not a positive integer is a UserError', () => {
  assert.throws(() => batches(makeSplit(3), { input: INPUT, normalisation: IDENTITY, augment: false }, 0, new Rng(1)).next(), UserError);
});

test('shiftAndFlip equals pad 4, crop and mirror for every offset', () => {
  const src = image(makeSplit(1), 0);
  const out = new Float32Array(SIZE).fill(NaN);
  for (let dy = -CROP_PADDING; dy <= CROP_PADDING; dy++) {
    for (let dx = -CROP_PADDING; dx <= CROP_PADDING; dx++) {
      for (const flip of [false, true]) {
        shiftAndFlip(src, out, INPUT, dy, dx, flip);
        assert.deepEqual(out, padCropFlip(src, INPUT, dy + CROP_PADDING, dx + CROP_PADDING, flip), `dy ${dy} dx ${dx} flip ${flip}`);
      }
    }
  }
});

test('shiftAndFlip on a hand-made 2x3 single-channel image', () => {
  const input = { channels: 1, height: 2, width: 3 };
  const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const out = new Float32Array(6);
  shiftAndFlip(src, out, input, 0, 0, true);
  assert.deepEqual([...out], [3, 2, 1, 6, 5, 4]);
  shiftAndFlip(src, out, input, 1, -1, false);
  assert.deepEqual([...out], [0, 4, 5, 0, 0, 0]);
  shiftAndFlip(src, out, input, -1, 1, true);
  assert.deepEqual([...out], [0, 0, 0, 0, 3, 2]);
});

function variants(src: Float32Array): Float32Array[] {
  const all: Float32Array[] = [];
  for (let top = 0; top <= 2 * CROP_PADDING; top++) {
    for (let left = 0; left <= 2 * CROP_PADDING; left++) for (const flip of [false, true]) all.push(padCropFlip(src, INPUT, top, left, flip));
  }
  return all;
}

test('batches with augmentation: shapes kept, each image a crop/flip of its own, varied and seeded', () => {
  const split = makeSplit(30);
  const list = epoch(split, 3, 8, true);
  assert.deepEqual(list.map((b) => b.x.length), [8 * SIZE, 8 * SIZE, 8 * SIZE, 6 * SIZE]);
  let unchanged = 0;
  for (const b of list) {
    b.y.forEach((label, k) => {
      const augmented = b.x.subarray(k * SIZE, (k + 1) * SIZE);
      assert.ok(variants(image(split, label)).some((v) => v.every((value, j) => value === augmented[j])), `example ${label}`);
      if (augmented.every((value, j) => value === image(split, label)[j])) unchanged++;
    });
  }
  assert.ok(unchanged < 5, `${unchanged} of 30 images left as they were`);
  assert.deepEqual(epoch(split, 3, 8, true), list);
  assert.notDeepEqual(epoch(split, 4, 8, true).map((b) => b.x), list.map((b) => b.x));
  const withoutAugmentation = copies(batches(split, { input: INPUT, normalisation: IDENTITY, augment: true }, 8, new Rng(3), { augment: false }));
  assert.deepEqual(order(withoutAugmentation), order(list), 'the order is drawn before any augmentation');
});

test('batches: datasets without augmentation ignore { augment: true }', () => {
  const split = makeSplit(5);
  for (const b of batches(split, { input: INPUT, normalisation: IDENTITY, augment: false }, 5, new Rng(2), { augment: true })) {
    b.y.forEach((label, k) => assert.deepEqual(b.x.subarray(k * SIZE, (k + 1) * SIZE), image(split, label)));
  }
});

test('batches: bytes are normalised per channel as they are taken; augmentation pads with 0 after normalisation', () => {
  const input: ImageShape = { channels: 2, height: 1, width: 2 };
  const split: Split = { pixels: Uint8Array.of(0, 255, 51, 102), scale: 1 / 255, labels: Int32Array.of(4), count: 1 };
  const normalisation: Normalisation = { rule: '0.2,0.4/0.5,0.25', mean: [0.2, 0.4], std: [0.5, 0.25] };
  const [plain] = copies(batches(split, { input, normalisation, augment: false }, 1, new Rng(1)));
  const expected = [(0 - 0.2) / 0.5, (1 - 0.4) / 0.25, (0.2 - 0.2) / 0.5, (0.4 - 0.4) / 0.25];
  plain.x.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `value ${i}: ${v}`));
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const [shifted] = copies(batches(split, { input, normalisation, augment: true }, 1, new Rng(seed)));
    for (const v of shifted.x) assert.ok(v === 0 || expected.some((e) => Math.abs(v - e) < 1e-6), `seed ${seed}: ${v}`);
    seen.add([...shifted.x].map((v) => v.toFixed(3)).join());
  }
  assert.ok(seen.size >= 2, 'crops and flips vary');
});
