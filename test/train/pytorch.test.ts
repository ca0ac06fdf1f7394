// `esnac train` on the PyTorch trainer (what --evaluator auto picks where torch is found): stopped
// by SIGINT after an epoch it writes nothing but keeps the epochs in OUTPUT.checkpoint, the same
// command goes on from the next epoch, and the weights it writes are the run's format: tfjs reads
// them and measures the accuracy they record.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { loadDataset } from '../../engine/data';
import { findPython } from '../../engine/evaluation/pytorch/python';
import { loadModel, readModel } from '../../engine/model/io';
import { Network } from '../../engine/model/network';
import { disposeWeights } from '../../engine/model/weights';
import { evaluateAccuracy } from '../../engine/train/loop';

const ROOT = join(__dirname, '..', '..');
const TEACHER = 'examples/teachers/resnet-mini-mnist.arch.yaml';
const LIMITS = ['--limit-train', '512', '--limit-validation', '256'];

test('esnac train on PyTorch: SIGINT keeps the finished epochs, the same command goes on, tfjs reads the weights at their recorded accuracy', { timeout: 600_000 }, async (t) => {
  const found = await findPython({});
  if (!found.ok) return t.skip(`no Python with torch: ${found.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'esnac-train-pytorch-'));
  const out = join(dir, 'teacher');
  const args = ['--import', 'tsx', 'engine/cli/main.ts', 'train', TEACHER, '--dataset', 'mnist', '--epochs', '3', '--batch-size', '64', '--evaluator', 'pytorch', ...LIMITS, '-o', out];
  try {
    const child = spawn(process.execPath, args, { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('epoch 1/3:') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.match(stderr, /trainer: pytorch: /);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /nothing written to .*teacher\. Epochs 1-\d are kept in .*teacher\.checkpoint: the same command goes on from epoch \d\./);
    assert.ok(!existsSync(out), 'a stopped training wrote its output');
    assert.ok(existsSync(`${out}.checkpoint`));

    const resumed = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /going on at epoch [23]\/3: epochs 1-[12] are in /);
    assert.doesNotMatch(resumed.stderr, /epoch 1\/3:/);
    assert.match(resumed.stdout, /teacher: resnet-mini-mnist, \d+ parameters, validation accuracy [\d.]+% \(epoch \d\)/);
    assert.ok(!existsSync(`${out}.checkpoint`), 'the checkpoint outlived the written weights');

    const recorded = readModel(out);
    assert.equal(recorded.training?.epochs, 3);
    assert.equal(recorded.normalisation?.rule, 'dataset');
    await initBackend('wasm');
    const data = await loadDataset('mnist', { limitTrain: 512, limitValidation: 256, seed: 0, normalise: 'dataset', augment: 'none' });
    const { spec, weights } = loadModel(out);
    const net = new Network(spec, weights);
    disposeWeights(weights);
    const before = tf.memory().numTensors;
    const accuracy = await evaluateAccuracy(net, data.validation, data);
    assert.equal(tf.memory().numTensors, before);
    net.dispose();
    // The same 256 images through another framework's kernels: at most one answer may differ.
    assert.ok(Math.abs(accuracy - (recorded.training?.validationAccuracy as number)) <= 1 / 256 + 1e-9, `tfjs ${accuracy}, PyTorch ${recorded.training?.validationAccuracy}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${out}.checkpoint`, { recursive: true, force: true });
  }
});
