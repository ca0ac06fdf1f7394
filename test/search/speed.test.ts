// The quick speed measurement run setup prices its presets with, on the trainer a run would use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../engine/data';
import { findPython } from '../../engine/evaluation/pytorch/python';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { measureSpeed } from '../../engine/search/speed';

test('one short teacher epoch gives a training speed and the dataset sizes, before limits', async () => {
  const speed = await measureSpeed('examples/teachers/vgg-mini-mnist.arch.yaml', 'mnist', 'wasm');
  const full = await loadDataset('mnist');
  assert.ok(speed.imagesPerSecond > 0 && Number.isFinite(speed.imagesPerSecond), String(speed.imagesPerSecond));
  assert.deepEqual([speed.trainExamples, speed.validationExamples], [full.train.count, full.validation.count]);
  assert.equal(speed.trainer, 'tfjs wasm');
  assert.ok(speed.cores >= 1);
});

test('with the PyTorch trainer found, the epoch is measured in a PyTorch worker laid out as a run would be', async (t) => {
  const found = await findPython({});
  if (!found.ok) return t.skip(`no Python with torch: ${found.reason}`);
  const speed = await measureSpeed('examples/teachers/vgg-mini-mnist.arch.yaml', 'mnist', 'wasm', { ...DEFAULT_SETTINGS.evaluator, kind: 'auto' });
  assert.ok(speed.imagesPerSecond > 0 && Number.isFinite(speed.imagesPerSecond), String(speed.imagesPerSecond));
  assert.match(speed.trainer, new RegExp(`^pytorch ${found.info.torch.replace(/[.+]/g, '\\$&')} (cpu, \\d+ threads?|cuda)$`));
  const local = await measureSpeed('examples/teachers/vgg-mini-mnist.arch.yaml', 'mnist', 'wasm', { ...DEFAULT_SETTINGS.evaluator, kind: 'local' });
  assert.equal(local.trainer, 'tfjs wasm');
});
