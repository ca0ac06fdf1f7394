// `folder:DIR`: images in torchvision's ImageFolder layout. DIR/train/<class>/... with DIR/test
// (or DIR/val) beside it, or DIR/<class>/... alone. Class indices follow torchvision's
// find_classes (folder names sorted by code point) and a class's images are every image file
// under its folder, nested folders included (os.walk). Splits that the layout does not give are
// drawn from the file list with the run's seed, before any image is decoded, so the test images
// are not even read until the test split is asked for.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { errorMessage, UserError } from '../util/errors';
import { gatherExamples, seededParts } from './examples';
import { checkDatasetDir } from './files';
import { decodeImage, isImageFile, loadSharp } from './images';
import { DatasetSource, ImageShape, Split, pixelsPerImage } from './types';

interface Sample {
  file: string;
  label: number;
}

/** Images decoded at once: sharp works on libuv's thread pool; more in flight only queue there. */
const DECODE_CONCURRENCY = 8;
/** Fractions drawn by seed where the layout has no split: 10% test, 10% validation. */
const HELD_OUT = 0.1;
/** Unreadable files named in the notes; the rest are counted. */
const NAMED_FAILURES = 5;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Python's sorted() on str: by code point (JavaScript's default sort compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** torchvision.datasets.folder.find_classes: the sub-folders of `root`, sorted. */
export function findClasses(root: string): string[] {
  const classes = readdirSync(root).filter((name) => isDirectory(join(root, name))).sort(byCodePoint);
  if (classes.length === 0) throw new UserError(`${root}: no class folders (expected ${root}/<class>/<image files>)`);
  return classes;
}

/** Every image file under `dir`, nested folders included, in a stable order. */
function imageFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort(byCodePoint)) {
    const path = join(dir, name);
    if (isDirectory(path)) files.push(...imageFiles(path));
    else if (isImageFile(name)) files.push(path);
  }
  return files;
}

function listSamples(root: string, classes: readonly string[], notes: string[]): Sample[] {
  const samples: Sample[] = [];
  classes.forEach((name, label) => {
    const dir = join(root, name);
    const files = isDirectory(dir) ? imageFiles(dir) : [];
    if (files.length === 0) notes.push(`class ${label} "${name}" has no images in ${root}`);
    samples.push(...files.map((file) => ({ file, label })));
  });
  return samples;
}

/** Decodes the samples' images; unreadable ones are skipped and named in `notes`. */
async function decodeSamples(samples: readonly Sample[], input: ImageShape, what: string, notes: string[]): Promise<Split> {
  const size = pixelsPerImage(input);
  const pixels = new Uint8Array(samples.length * size);
  const labels = new Int32Array(samples.length);
  const failures: { index: number; text: string }[] = [];
  let next = 0;
  let kept = 0;
  const worker = async () => {
    while (next < samples.length) {
      const i = next++;
      try {
        const image = await decodeImage(samples[i].file, input);
        pixels.set(image, i * size);
        labels[i] = samples[i].label;
        kept++;
      } catch (err) {
        failures.push({ index: i, text: `${samples[i].file} (${errorMessage(err)})` });
      }
    }
  };
  await Promise.all(Array.from({ length: DECODE_CONCURRENCY }, worker));
  if (kept === 0) throw new UserError(`${what}: none of the ${samples.length} image(s) could be read${failures.length ? ` (first: ${failures[0].text})` : ''}`);
  const split = { pixels, scale: 1 / 255, labels, count: samples.length };
  if (failures.length === 0) return split;
  failures.sort((a, b) => a.index - b.index);
  const more = failures.length > NAMED_FAILURES ? `, and ${failures.length - NAMED_FAILURES} more` : '';
  notes.push(`${what}: skipped ${failures.length} unreadable image(s): ${failures.slice(0, NAMED_FAILURES).map((f) => f.text).join('; ')}${more}`);
  const failed = new Set(failures.map((f) => f.index));
  return gatherExamples(split, input, samples.flatMap((_, i) => (failed.has(i) ? [] : [i])));
}

/** The folder's layout: where train and test images are, and the class names. */
function layout(dir: string): { trainRoot: string; testRoot?: string; classes: string[] } {
  const trainRoot = join(dir, 'train');
  if (!isDirectory(trainRoot)) return { trainRoot: dir, classes: findClasses(dir) };
  const classes = findClasses(trainRoot);
  const testRoot = ['test', 'val'].map((name) => join(dir, name)).find(isDirectory);
  if (testRoot) {
    const unknown = findClasses(testRoot).filter((name) => !classes.includes(name));
    if (unknown.length > 0) throw new UserError(`${testRoot}: class folder(s) ${unknown.map((n) => `"${n}"`).join(', ')} not in ${trainRoot}`);
  }
  return { trainRoot, ...(testRoot ? { testRoot } : {}), classes };
}

export async function readImageFolder(dir: string, input: ImageShape, seed: number): Promise<DatasetSource> {
  checkDatasetDir(dir);
  loadSharp();
  const { trainRoot, testRoot, classes } = layout(dir);
  const notes: string[] = [];
  const all = listSamples(trainRoot, classes, notes);
  const place = (root: string) => relative(dir, root) || '.';
  let test: Sample[];
  let validation: Sample[];
  let train: Sample[];
  let splitRule: string;
  if (testRoot) {
    test = listSamples(testRoot, classes, []);
    [validation, train] = seededParts(all, seed, [HELD_OUT]);
    splitRule = `${place(testRoot)}/ is the test set; a random 10% of ${place(trainRoot)}/ (seed ${seed}) validates, the rest trains`;
  } else {
    [test, validation, train] = seededParts(all, seed, [HELD_OUT, HELD_OUT]);
    splitRule = `${place(trainRoot)}/ split at random (seed ${seed}): 10% test, 10% validation, the rest trains`;
  }
  if (train.length === 0 || validation.length === 0) throw new UserError(`${trainRoot}: ${all.length} image(s) are too few to split into train and validation`);
  notes.push(`classes (torchvision ImageFolder order): ${classes.map((name, i) => `${i} ${name}`).join(', ')}`);
  return {
    input,
    classes: classes.length,
    augment: true,
    source: dir,
    splitRule,
    train: await decodeSamples(train, input, `${trainRoot} (train)`, notes),
    validation: await decodeSamples(validation, input, `${trainRoot} (validation)`, notes),
    ...(test.length > 0 && {
      test: {
        source: `${test.length} images of ${place(testRoot ?? trainRoot)}/`,
        read: async () => {
          const testNotes: string[] = [];
          return { split: await decodeSamples(test, input, `${testRoot ?? trainRoot} (test)`, testNotes), notes: testNotes };
        },
      },
    }),
    notes,
  };
}
