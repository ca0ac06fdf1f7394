// The quick speed measurement run setup prices its presets with, on the trainer a run would use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { loadDataset } from '../../engine/data';
import { findPython } from '../../engine/evaluation/pytorch/python';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { measureSpeed } from '../../engine/search/speed';

test('with --evaluator local: a teacher epoch, a distillation epoch of candidates drawn from the teacher and a kernel fit, timed, with the dataset sizes before limits', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const speed = await measureSpeed('examples/teachers/vgg-mini-mnist.arch.yaml', 'mnist', 'wasm', { ...DEFAULT_SETTINGS.evaluator, kind: 'local' });
  const full = await loadDataset('mnist');
  const positive = (value: number, what: string) => assert.ok(value > 0 && Number.isFinite(value), `${what}: ${value}`);
  positive(speed.imagesPerSecond, 'teacher training');
  positive(speed.validationImagesPerSecond, 'teacher validation');
  positive(speed.candidate.imagesPerSecond, 'candidate training');
  positive(speed.candidate.validationImagesPerSecond, 'candidate validation');
  assert.ok(speed.candidate.overheadSeconds >= 0 && Number.isFinite(speed.candidate.overheadSeconds));
  assert.equal(speed.candidate.sampled, 2);
  assert.ok(speed.kernelFit.secondsPerStep >= 0 && speed.kernelFit.secondsPerArchitectureStep >= 0, JSON.stringify(speed.kernelFit));
  assert.ok(speed.kernelFit.secondsPerStep + speed.kernelFit.secondsPerArchitectureStep > 0, 'a kernel fit step takes time');
  positive(speed.kernelFit.secondsPerArchitectureScored, 'kernel scoring');
  assert.ok(speed.kernelFit.threads >= 1 && speed.kernelFit.threads <= DEFAULT_SETTINGS.kernels);
  assert.deepEqual([speed.trainExamples, speed.validationExamples], [full.train.count, full.validation.count]);
  assert.equal(speed.trainer, 'tfjs wasm');
  assert.ok(speed.cores >= 1);
  assert.equal(tf.memory().numTensors, before, 'the measurement frees what it made');
});

test('with the PyTorch trainer found, the epoch is measured in a PyTorch worker laid out as a run would be', async (t) => {
  const found = await findPython({});
  if (!found.ok) return t.skip(`no Python with torch: ${found.reason}`);
  const speed = await measureSpeed('examples/teachers/vgg-mini-mnist.arch.yaml', 'mnist', 'wasm', { ...DEFAULT_SETTINGS.evaluator, kind: 'auto' });
  assert.ok(speed.imagesPerSecond > 0 && Number.isFinite(speed.imagesPerSecond), String(speed.imagesPerSecond));
  assert.match(speed.trainer, new RegExp(`^pytorch ${found.info.torch.replace(/[.+]/g, '\\$&')} (cpu, \\d+ threads?|cuda)$`));
  assert.ok(speed.candidate.imagesPerSecond > 0 && speed.validationImagesPerSecond > 0 && speed.kernelFit.secondsPerArchitectureScored > 0);
});
