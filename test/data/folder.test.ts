import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { Split, loadDataset } from '../../engine/data/index';
import { decodeBmp } from '../../engine/data/bmp';
import { findClasses } from '../../engine/data/folder';
import { decodeCacheSize } from '../../engine/data/images';
import { UserError } from '../../engine/util/errors';

const root = mkdtempSync(join(tmpdir(), 'esnac-folder-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Colour = [number, number, number];

async function solid(file: string, width: number, height: number, colour: Colour, format: 'png' | 'jpeg' | 'webp' | 'gif' | 'grey-png'): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const channels = format === 'grey-png' ? 1 : 3;
  const pixels = Buffer.alloc(width * height * channels);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) pixels[i * channels + c] = colour[c];
  const image = sharp(pixels, { raw: { width, height, channels } });
  if (format === 'grey-png') await image.toColourspace('b-w').png().toFile(file);
  else if (format === 'jpeg') await image.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toFile(file);
  else await image[format]().toFile(file);
}

/** A 24-bit bottom-up BMP (rows padded to 4 bytes), written by hand: sharp does not write BMP. */
function bmp(width: number, height: number, pixel: (x: number, y: number) => Colour): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + rowBytes * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const at = 54 + (height - 1 - y) * rowBytes + x * 3;
      out[at] = b;
      out[at + 1] = g;
      out[at + 2] = r;
    }
  }
  return out;
}

/** Image colours per class: each image is one solid colour, so a decoded example names its file. */
const TRAIN: Record<string, Colour[]> = {
  Dog: [[10, 10, 10], [30, 30, 30], [50, 50, 50]],
  ant: [[200, 0, 0], [0, 200, 0], [0, 0, 200]],
  cat: [[250, 250, 0], [0, 250, 250], [250, 0, 250], [120, 60, 30]],
};
const INPUT_RGB = { channels: 3, height: 8, width: 8 };

async function writeFolder(dir: string): Promise<void> {
  const [d, a, c] = [TRAIN.Dog, TRAIN.ant, TRAIN.cat];
  await solid(join(dir, 'train/Dog/grey1.png'), 17, 23, d[0], 'grey-png');
  await solid(join(dir, 'train/Dog/grey2.png'), 9, 31, d[1], 'grey-png');
  await solid(join(dir, 'train/Dog/grey3.gif'), 12, 12, d[2], 'gif');
  await solid(join(dir, 'train/ant/red.jpg'), 33, 47, a[0], 'jpeg');
  await solid(join(dir, 'train/ant/green.webp'), 13, 11, a[1], 'webp');
  mkdirSync(join(dir, 'train/ant'), { recursive: true });
  writeFileSync(join(dir, 'train/ant/blue.bmp'), bmp(5, 3, () => a[2]));
  writeFileSync(join(dir, 'train/ant/broken.png'), Buffer.from('\x89PNG\r\n\x1a\n this is not an image'));
  writeFileSync(join(dir, 'train/ant/notes.txt'), 'not an image');
  await solid(join(dir, 'train/cat/a.png'), 40, 30, c[0], 'png');
  await solid(join(dir, 'train/cat/b.JPEG'), 8, 8, c[1], 'jpeg');
  await solid(join(dir, 'train/cat/nested/deeper/c.png'), 21, 8, c[2], 'png');
  await solid(join(dir, 'train/cat/nested/d.png'), 8, 21, c[3], 'png');
  mkdirSync(join(dir, 'train/empty'), { recursive: true });
  writeFileSync(join(dir, 'train/empty/readme.txt'), 'no images here');
  await solid(join(dir, 'test/cat/t1.png'), 10, 10, [1, 2, 3], 'png');
  await solid(join(dir, 'test/ant/t2.png'), 10, 10, [4, 5, 6], 'png');
}

const folder = join(root, 'layout');
const written = writeFolder(folder);

function colourAt(split: Split, i: number, y = 4, x = 4): Colour {
  const at = ((i * 8 + y) * 8 + x) * 3;
  return [split.pixels[at], split.pixels[at + 1], split.pixels[at + 2]];
}

function near(a: readonly number[], b: readonly number[], tolerance = 3): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
}

test('folder: train/ and test/, classes in ImageFolder order, every format decoded, labels follow the files', async () => {
  await written;
  const data = await loadDataset(`folder:${folder}`, { input: INPUT_RGB, seed: 0 });
  assert.equal(data.classes, 4);
  assert.deepEqual(findClasses(join(folder, 'train')), ['Dog', 'ant', 'cat', 'empty']);
  assert.ok(data.notes.some((n) => /class 3 "empty" has no images/.test(n)), data.notes.join('\n'));
  const skipped = data.notes.find((n) => /skipped 1 unreadable image/.test(n));
  assert.ok(skipped?.includes(join(folder, 'train/ant/broken.png')), data.notes.join('\n'));
  assert.equal(data.train.count + data.validation.count, 10);
  assert.equal(data.validation.count, 2, 'ceil(10% of 11 files), none of them the broken one at this seed');
  const classes = ['Dog', 'ant', 'cat'];
  for (const split of [data.train, data.validation]) {
    for (let i = 0; i < split.count; i++) {
      const colour = colourAt(split, i);
      const owner = classes.findIndex((name) => TRAIN[name].some((c) => near(c, colour)));
      assert.equal(owner, split.labels[i], `example ${i} of colour ${colour} has label ${split.labels[i]}`);
    }
  }
  assert.match(data.splitRule, /^test\/ is the test set; a random 10% of train\/ \(seed 0\) validates/);
  const { split: test } = await data.test!.read();
  assert.deepEqual([...test.labels], [1, 2]);
  assert.ok(near(colourAt(test, 0), [4, 5, 6]) && near(colourAt(test, 1), [1, 2, 3]));
});

test('folder: resized as torchvision does by default, the shorter side to the size then the centre kept', async () => {
  const dir = join(root, 'resize');
  const halves = (x: number): Colour => (x < 20 ? [255, 0, 0] : [0, 0, 255]);
  const wide = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) wide.set(halves(x), (y * 40 + x) * 3);
  mkdirSync(join(dir, 'one'), { recursive: true });
  await sharp(wide, { raw: { width: 40, height: 20, channels: 3 } }).png().toFile(join(dir, 'one', 'wide.png'));
  writeFileSync(join(dir, 'one', 'wide.bmp'), bmp(40, 20, halves));
  for (let i = 0; i < 8; i++) await solid(join(dir, 'two', `${i}.png`), 5, 5, [i, i, i], 'png');
  const data = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 1 });
  const wideOnes = [data.train, data.validation].flatMap((s) => Array.from({ length: s.count }, (_, i) => ({ s, i })).filter(({ s, i }) => s.labels[i] === 0));
  assert.ok(wideOnes.length >= 1);
  for (const { s, i } of wideOnes) {
    // 40x20 scaled by 0.4 is 16x8; the centre 8 columns are source columns 10..30: red then blue.
    assert.ok(near(colourAt(s, i, 4, 0), [255, 0, 0], 8) && near(colourAt(s, i, 4, 2), [255, 0, 0], 8), `left ${colourAt(s, i, 4, 0)}`);
    assert.ok(near(colourAt(s, i, 4, 7), [0, 0, 255], 8) && near(colourAt(s, i, 4, 5), [0, 0, 255], 8), `right ${colourAt(s, i, 4, 7)}`);
  }
});

test('folder: grey and RGB images become the channels the network takes (PIL luma for grey)', async () => {
  await written;
  const grey = await loadDataset(`folder:${folder}`, { input: { channels: 1, height: 8, width: 8 }, seed: 0 });
  const values = new Set([...grey.train.pixels, ...grey.validation.pixels]);
  const luma = ([r, g, b]: Colour) => Math.round((r * 19595 + g * 38470 + b * 7471) / 65536);
  for (const c of TRAIN.cat) assert.ok([...values].some((v) => Math.abs(v - luma(c)) <= 3), `luma of ${c}`);
  const rgb = await loadDataset(`folder:${folder}`, { input: INPUT_RGB, seed: 0 });
  for (const split of [rgb.train, rgb.validation]) {
    for (let i = 0; i < split.count; i++) {
      if (split.labels[i] !== 0) continue;
      const [r, g, b] = colourAt(split, i);
      assert.ok(r === g && g === b, `a grey image is grey in RGB: ${[r, g, b]}`);
    }
  }
});

test('folder: a single folder is split by the seed (test 10%, validation 10%), test images unread until asked', async () => {
  const dir = join(root, 'single');
  for (let c = 0; c < 2; c++) for (let i = 0; i < 10; i++) await solid(join(dir, `class${c}`, `${i}.png`), 6 + i, 7, [c * 100 + i, 0, 0], 'png');
  const a = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 5 });
  const b = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 5 });
  const c = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 6 });
  assert.deepEqual([a.train.count, a.validation.count], [16, 2]);
  assert.deepEqual(a.train.pixels, b.train.pixels);
  assert.notDeepEqual(a.train.pixels, c.train.pixels);
  assert.match(a.splitRule, /split at random \(seed 5\): 10% test, 10% validation/);
  const { split: test } = await a.test!.read();
  assert.equal(test.count, 2);
  const reds = (s: Split) => Array.from({ length: s.count }, (_, i) => colourAt(s, i)[0]);
  const all = [...reds(a.train), ...reds(a.validation), ...reds(test)].sort((x, y) => x - y);
  assert.deepEqual(all, [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
});

test('folder: each image is decoded once per process; a file changed since (size, modification time) is decoded again', async () => {
  const dir = join(root, 'cached');
  for (let i = 0; i < 10; i++) await solid(join(dir, `class${i % 2}`, `${i}.png`), 9, 9, [i * 20, 0, 0], 'png');
  const before = decodeCacheSize();
  const first = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 2 });
  const afterFirst = decodeCacheSize();
  assert.equal(afterFirst.images - before.images, 9, 'train (8) and validation (1) decoded; the test split (1) not yet');
  assert.equal(afterFirst.bytes - before.bytes, 9 * 8 * 8 * 3);
  const again = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 2 });
  assert.deepEqual(decodeCacheSize(), afterFirst, 'the second load decodes nothing');
  assert.deepEqual(again.train.pixels, first.train.pixels);
  const grey = await loadDataset(`folder:${dir}`, { input: { channels: 1, height: 8, width: 8 }, seed: 2 });
  assert.equal(decodeCacheSize().images - afterFirst.images, 9, 'another target shape is another entry');
  assert.equal(grey.train.pixels.length, grey.train.count * 64);

  // The first training image's file, repainted green: the next load sees green, not the cached red.
  const reds = Array.from({ length: 10 }, (_, i) => i * 20);
  const index = reds.indexOf(colourAt(first.train, 0)[0]);
  const file = join(dir, `class${index % 2}`, `${index}.png`);
  await solid(file, 9, 9, [0, 200, 0], 'png');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const changed = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 2 });
  assert.ok(near(colourAt(changed.train, 0), [0, 200, 0]), `repainted: ${colourAt(changed.train, 0)}`);
  assert.deepEqual(changed.train.pixels.subarray(192), first.train.pixels.subarray(192), 'the other images as cached');
});

test('folder: problems are named (no classes, nothing readable, a test class unknown to train, no input size)', async () => {
  const empty = join(root, 'no-classes');
  mkdirSync(empty, { recursive: true });
  await assert.rejects(loadDataset(`folder:${empty}`, { input: INPUT_RGB }), (err: unknown) => err instanceof UserError && /no class folders/.test(err.message));
  const unreadable = join(root, 'unreadable');
  mkdirSync(join(unreadable, 'x'), { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(join(unreadable, 'x', `${i}.jpg`), 'garbage');
  await assert.rejects(loadDataset(`folder:${unreadable}`, { input: INPUT_RGB }), /none of the .* image\(s\) could be read \(first: .*x\/\d\.jpg/);
  const stray = join(root, 'stray');
  await solid(join(stray, 'train/a/1.png'), 4, 4, [1, 1, 1], 'png');
  await solid(join(stray, 'train/a/2.png'), 4, 4, [2, 1, 1], 'png');
  await solid(join(stray, 'test/b/1.png'), 4, 4, [1, 1, 1], 'png');
  await assert.rejects(loadDataset(`folder:${stray}`, { input: INPUT_RGB }), /test: class folder\(s\) "b" not in/);
  await assert.rejects(loadDataset(`folder:${stray}`), /the network's input size is needed/);
});

test('bmp: 24-bit bottom-up rows with padding decode top row first', () => {
  const decoded = decodeBmp(bmp(3, 2, (x, y) => [x * 10, y * 100, 7]));
  assert.deepEqual([...decoded.data], [0, 0, 7, 10, 0, 7, 20, 0, 7, 0, 100, 7, 10, 100, 7, 20, 100, 7]);
  assert.throws(() => decodeBmp(Buffer.from('BM')), /truncated BMP header/);
});

const torchvision = spawnSync('/usr/bin/python3', ['-c', 'import torchvision.datasets'], { encoding: 'utf8' });
const noTorchvision = torchvision.status === 0 ? false : 'needs /usr/bin/python3 with torchvision (Debian python3-torchvision)';

test('folder: class indices and sample labels equal torchvision ImageFolder on the same folder', { skip: noTorchvision }, async () => {
  const dir = join(root, 'torchvision');
  const names = ['Zebra', 'zebra', 'émeu', 'a b', 'A', '10', '9', 'ß', 'Émeu', '_x'];
  for (const [i, name] of names.entries()) {
    await solid(join(dir, 'train', name, `${i}.png`), 5, 5, [i * 20, 0, 0], 'png');
    await solid(join(dir, 'train', name, 'sub', `${i}b.png`), 5, 5, [i * 20, 10, 0], 'png');
  }
  const script = [
    'import json, sys',
    'from torchvision.datasets import ImageFolder',
    "ds = ImageFolder(sys.argv[1], loader=lambda p: p, is_valid_file=lambda p: p.lower().endswith(('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff')))",
    'print(json.dumps({"classes": ds.classes, "labels": sorted(set(t for _, t in ds.samples))}))',
  ].join('\n');
  const done = spawnSync('/usr/bin/python3', ['-c', script, join(dir, 'train')], { encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  const expected = JSON.parse(done.stdout) as { classes: string[]; labels: number[] };
  assert.deepEqual(findClasses(join(dir, 'train')), expected.classes);
  const data = await loadDataset(`folder:${dir}`, { input: INPUT_RGB, seed: 0 });
  assert.equal(data.classes, expected.classes.length);
  for (const split of [data.train, data.validation]) {
    for (let i = 0; i < split.count; i++) assert.equal(expected.classes[split.labels[i]], names[colourAt(split, i)[0] / 20]);
  }
});
