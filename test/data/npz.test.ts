import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadDataset } from '../../engine/data/index';
import { parseNpy } from '../../engine/data/npy';
import { UserError } from '../../engine/util/errors';
import { npy, zip } from '../support/npz';

const root = mkdtempSync(join(tmpdir(), 'esnac-npz-'));
after(() => rmSync(root, { recursive: true, force: true }));

const H = 3;
const W = 5;
/** A distinct value per (example, y, x, channel) that fits a byte. */
const value = (n: number, y: number, x: number, c: number) => (n * 37 + y * 11 + x * 3 + c * 101) % 256;

function images(count: number, channels: number, layout: 'NHWC' | 'NCHW', offset: number): { shape: number[]; values: number[] } {
  const values: number[] = [];
  for (let n = 0; n < count; n++) {
    if (layout === 'NHWC') for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) values.push(value(n + offset, y, x, c));
    else for (let c = 0; c < channels; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) values.push(value(n + offset, y, x, c));
  }
  return { shape: layout === 'NHWC' ? [count, H, W, channels] : [count, channels, H, W], values };
}

function archive(name: string, layout: 'NHWC' | 'NCHW', dtype: '|u1' | '<f4', deflate: boolean, withVal: boolean): string {
  const arrays: Record<string, Buffer> = {};
  const add = (x: string, y: string, count: number, offset: number) => {
    const { shape, values } = images(count, 3, layout, offset);
    arrays[x] = npy(dtype, shape, dtype === '|u1' ? values : values.map((v) => v / 255));
    arrays[y] = npy('<i8', [count], Array.from({ length: count }, (_, i) => (i + offset) % 4));
  };
  add('x_train', 'y_train', 20, 0);
  if (withVal) add('x_val', 'y_val', 4, 100);
  add('x_test', 'y_test', 6, 200);
  const file = join(root, `${name}.npz`);
  writeFileSync(file, zip(arrays, deflate));
  return file;
}

for (const layout of ['NHWC', 'NCHW'] as const) {
  for (const dtype of ['|u1', '<f4'] as const) {
    test(`npz: ${layout} ${dtype === '|u1' ? 'uint8' : 'float32'} images read as NHWC, layout printed, test read only when asked`, async () => {
      const file = archive(`${layout}-${dtype === '|u1' ? 'u8' : 'f32'}`, layout, dtype, dtype === '<f4', true);
      const data = await loadDataset(`npz:${file}`);
      assert.deepEqual(data.input, { channels: 3, height: H, width: W });
      assert.equal(data.classes, 4);
      assert.equal(data.augment, true);
      assert.match(data.notes[0], new RegExp(`^layout: ${layout} \\(${dtype === '|u1' ? 'uint8 0\\.\\.255' : '<f4 in \\[0, 1\\]'}\\)`));
      assert.equal(data.train.count, 20);
      assert.equal(data.validation.count, 4);
      assert.equal(data.train.pixels instanceof Uint8Array, dtype === '|u1');
      const stored = (split: typeof data.train, n: number, y: number, x: number, c: number) => split.pixels[((n * H + y) * W + x) * 3 + c] * split.scale * 255;
      for (const [n, y, x, c] of [[0, 0, 0, 0], [7, 2, 4, 1], [19, 1, 3, 2]]) assert.ok(Math.abs(stored(data.train, n, y, x, c) - value(n, y, x, c)) < 1e-3);
      assert.ok(Math.abs(stored(data.validation, 3, 2, 1, 2) - value(103, 2, 1, 2)) < 1e-3);
      const { split: test } = await data.test!.read();
      assert.deepEqual([...test.labels], [0, 1, 2, 3, 0, 1]);
      assert.ok(Math.abs(stored(test, 5, 1, 4, 0) - value(205, 1, 4, 0)) < 1e-3);
    });
  }
}

test('npz: without x_val a seeded 10% validates; the same seed gives the same split', async () => {
  const file = archive('no-val', 'NHWC', '|u1', false, false);
  const a = await loadDataset(`npz:${file}`, { seed: 3 });
  const b = await loadDataset(`npz:${file}`, { seed: 3 });
  const c = await loadDataset(`npz:${file}`, { seed: 4 });
  assert.equal(a.validation.count, 2);
  assert.equal(a.train.count, 18);
  assert.deepEqual(a.validation.pixels, b.validation.pixels);
  assert.notDeepEqual(a.validation.pixels, c.validation.pixels);
  assert.match(a.splitRule, /random 10% of x_train \(seed 3\)/);
});

test('npz: grey (N, H, W) images, and problems named with the file and array', async () => {
  const grey = join(root, 'grey.npz');
  const values = Array.from({ length: 4 * H * W }, (_, i) => i % 256);
  writeFileSync(grey, zip({ x_train: npy('|u1', [4, H, W], values), y_train: npy('<i8', [4], [0, 1, 0, 1]) }, false));
  const data = await loadDataset(`npz:${grey}`, { seed: 0 });
  assert.deepEqual(data.input, { channels: 1, height: H, width: W });
  assert.equal(data.augment, false);
  assert.equal(data.test, undefined);
  assert.ok(data.notes.some((n) => /no x_test/.test(n)));

  const noLabels = join(root, 'no-labels.npz');
  writeFileSync(noLabels, zip({ x_train: npy('|u1', [4, H, W], values) }, true));
  await assert.rejects(loadDataset(`npz:${noLabels}`), (err: unknown) => err instanceof UserError && err.message === `${noLabels}: no y_train`);
  const badShape = join(root, 'bad-shape.npz');
  writeFileSync(badShape, zip({ x_train: npy('|u1', [2, 2, 2, 2, 2], new Array(32).fill(0)), y_train: npy('<i8', [2], [0, 1]) }, false));
  await assert.rejects(loadDataset(`npz:${badShape}`), /bad-shape\.npz\/x_train\.npy: images of shape \(2, 2, 2, 2, 2\)/);
  const notZip = join(root, 'not-zip.npz');
  writeFileSync(notZip, 'hello');
  await assert.rejects(loadDataset(`npz:${notZip}`), /not-zip\.npz: not a zip archive/);
  assert.throws(() => parseNpy(Buffer.from('nope'), 'x.npy'), /x\.npy: not a \.npy array/);
});

const numpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const noNumpy = numpy.status === 0 ? false : 'needs /usr/bin/python3 with numpy';

test('npz: archives numpy itself writes (savez and savez_compressed, zip64 records)', { skip: noNumpy }, async () => {
  const script = [
    'import numpy as np, sys',
    'x = (np.arange(10 * 4 * 6 * 3) % 251).astype(np.uint8).reshape(10, 4, 6, 3)',
    'y = np.arange(10) % 3',
    'np.savez(sys.argv[1], x_train=x, y_train=y, x_test=x[:2].transpose(0, 3, 1, 2).copy(), y_test=y[:2])',
    'np.savez_compressed(sys.argv[2], x_train=x.transpose(0, 3, 1, 2).astype(np.float32) / 255, y_train=y.astype(np.int32), x_test=x[:2].astype(np.float32) / 255, y_test=y[:2])',
  ].join('\n');
  const [plain, compressed] = [join(root, 'numpy.npz'), join(root, 'numpy-compressed.npz')];
  const done = spawnSync('/usr/bin/python3', ['-c', script, plain, compressed], { encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  const expected = Array.from({ length: 10 * 4 * 6 * 3 }, (_, i) => i % 251);
  for (const file of [plain, compressed]) {
    const data = await loadDataset(`npz:${file}`, { seed: 1 });
    assert.deepEqual(data.input, { channels: 3, height: 4, width: 6 });
    const all = [...data.train.pixels, ...data.validation.pixels].length;
    assert.equal(all, expected.length);
    assert.equal(data.classes, 3);
    const { split: test } = await data.test!.read();
    assert.deepEqual([...test.pixels].map((v) => Math.round(v * test.scale * 255)), expected.slice(0, 2 * 72));
  }
});
