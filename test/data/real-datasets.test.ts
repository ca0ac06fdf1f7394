import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FASHION_MNIST_DIR, Split, loadDataset } from '../../engine/data/index';
import { normalised } from '../support/data';

function classCounts(split: Split, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of split.labels) counts[label]++;
  return counts;
}

/** Mean and population standard deviation over all values (one channel). */
function moments(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean) };
}

test('embedded mnist: 10,000 digits, a fixed held-out test split, class-balanced 90/10 train/validation, normalised train', async () => {
  const dataset = await loadDataset('mnist');
  assert.deepEqual(dataset.input, { channels: 1, height: 28, width: 28 });
  assert.equal(dataset.classes, 10);
  assert.equal(dataset.augment, false);
  const { split: test } = await dataset.test!.read();
  assert.equal(dataset.train.count + dataset.validation.count + test.count, 10_000);
  assert.equal(test.count, 1005);
  assert.equal(dataset.validation.count, 904);
  assert.equal(dataset.train.pixels.length, dataset.train.count * 784);

  const trainCounts = classCounts(dataset.train, 10);
  const validationCounts = classCounts(dataset.validation, 10);
  const testCounts = classCounts(test, 10);
  for (let d = 0; d < 10; d++) {
    const all = trainCounts[d] + validationCounts[d] + testCounts[d];
    assert.ok(trainCounts[d] > 600 && trainCounts[d] < 950, `digit ${d}: ${trainCounts[d]} training samples`);
    assert.equal(testCounts[d], Math.ceil(all / 10));
    assert.equal(validationCounts[d], Math.ceil((all - testCounts[d]) / 10));
  }
  assert.deepEqual(new Set(dataset.train.labels.subarray(0, 20)).size, 10, 'the first 20 training examples cover every digit');

  const images = (split: Split) => new Set(Array.from({ length: split.count }, (_, i) => split.pixels.subarray(i * 784, (i + 1) * 784).join()));
  const trainImages = images(dataset.train);
  const validationImages = images(dataset.validation);
  assert.ok([...images(test)].every((image) => !trainImages.has(image) && !validationImages.has(image)), 'no test image trains or validates');
  const again = await loadDataset('mnist', { seed: 7 });
  assert.deepEqual((await again.test!.read()).split.pixels, test.pixels, "the test split does not depend on the run's seed");

  const { mean, std } = moments(normalised(dataset.train, dataset));
  assert.ok(Math.abs(mean) < 1e-4, `train mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 1e-4, `train std ${std}`);
  assert.ok(dataset.normalisation.mean[0] > 0.1 && dataset.normalisation.mean[0] < 0.16, `mean ${dataset.normalisation.mean[0]}`);
});

test('embedded mnist: limits take prefixes and keep the full-split normalisation', async () => {
  const full = await loadDataset('mnist');
  const limited = await loadDataset('mnist', { limitTrain: 300, limitValidation: 50 });
  assert.equal(limited.train.count, 300);
  assert.equal(limited.validation.count, 50);
  assert.deepEqual(limited.normalisation, full.normalisation);
  assert.deepEqual(limited.train.pixels, full.train.pixels.subarray(0, 300 * 784));
  assert.deepEqual(limited.validation.labels, full.validation.labels.subarray(0, 50));
});

const fashionMissing = existsSync(DEFAULT_FASHION_MNIST_DIR)
  ? false
  : `${DEFAULT_FASHION_MNIST_DIR} is absent (install Debian's dataset-fashion-mnist package)`;

test('Fashion-MNIST from the Debian package: 54,000 / 6,000 / 10,000, known statistics', { skip: fashionMissing }, async () => {
  const dataset = await loadDataset('fashion-mnist');
  assert.equal(dataset.train.count, 54_000);
  assert.equal(dataset.validation.count, 6_000);
  const { split: test } = await dataset.test!.read();
  assert.equal(test.count, 10_000);
  assert.deepEqual(classCounts(test, 10), new Array(10).fill(1000));
  const trainAndValidation = classCounts(dataset.train, 10).map((n, c) => n + classCounts(dataset.validation, 10)[c]);
  assert.deepEqual(trainAndValidation, new Array(10).fill(6000));
  assert.ok(Math.abs(dataset.normalisation.mean[0] - 0.286) < 0.005, `mean ${dataset.normalisation.mean[0]}`);
  assert.ok(Math.abs(dataset.normalisation.std[0] - 0.353) < 0.005, `std ${dataset.normalisation.std[0]}`);
  const { mean, std } = moments(normalised(dataset.train, dataset));
  assert.ok(Math.abs(mean) < 1e-4 && Math.abs(std - 1) < 1e-4, `train mean ${mean}, std ${std}`);
});
