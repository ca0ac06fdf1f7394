// The end-to-end check of `esnac train`: resnet-mini on the embedded MNIST digits (about 8,100
// training images) reaches >= 97% validation accuracy. Takes a few minutes on wasm on 2 cores.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { readModel } from '../../engine/model/io';

test('esnac train resnet-mini on MNIST reaches 97% validation accuracy', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-train-'));
  const out = join(dir, 'teacher');
  try {
    const args = ['--import', 'tsx', 'engine/cli/main.ts', 'train', 'examples/teachers/resnet-mini-mnist.arch.yaml', '--dataset', 'mnist', '--epochs', '3', '--batch-size', '64', '--backend', 'wasm', '--evaluator', 'local', '-o', out];
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
    assert.match(stderr, /epoch 3\/3: loss [\d.]+, validation accuracy [\d.]+%, \d+ img\/s/);
    assert.match(stdout, /resnet-mini-mnist, \d+ parameters, validation accuracy/);
    const model = readModel(out);
    const accuracy = model.training!.validationAccuracy as number;
    assert.ok(accuracy >= 0.97, `validation accuracy ${accuracy}\n${stderr}`);
    await assert.rejects(promisify(execFile)(process.execPath, args), /not empty; choose another folder or pass --force/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
