// The quick speed measurement run setup prices its presets with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../engine/data';
import { measureSpeed } from '../../engine/search/speed';

test('one short teacher epoch gives a training speed and the dataset sizes, before limits', async () => {
  const speed = await measureSpeed('examples/teachers/vgg-mini-mnist.arch.yaml', 'mnist', 'wasm');
  const full = await loadDataset('mnist');
  assert.ok(speed.imagesPerSecond > 0 && Number.isFinite(speed.imagesPerSecond), String(speed.imagesPerSecond));
  assert.deepEqual([speed.trainExamples, speed.validationExamples], [full.train.count, full.validation.count]);
  assert.equal(speed.trainer, 'tfjs wasm');
  assert.ok(speed.cores >= 1);
});
