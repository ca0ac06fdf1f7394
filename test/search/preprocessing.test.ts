// Preprocessing is explicit end to end: a teacher trained in PyTorch on raw [0, 1] pixels, imported
// with --normalise none, is measured at its PyTorch accuracy; the choice is recorded in run.json,
// and the student's PyTorch module and ONNX file say what input they expect.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { initBackend } from '../../engine/backend';
import { loadDataset, parseFixedNormalisation } from '../../engine/data';
import { exportSpecFile, importOnnxFile } from '../../engine/interop/files';
import { readOnnxFile } from '../../engine/interop/onnx-codec';
import { readModel } from '../../engine/model/io';
import { TeacherEvent } from '../../engine/run/journal';
import { compress } from '../../engine/search/compress';
import { npy, zip } from '../support/npz';
import { TINY_SEARCH } from '../support/tiny-search';

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' });
const noTorch = torch.status === 0 ? false : 'needs /usr/bin/python3 with torch and numpy (Debian python3-torch)';

/** Trains a small LeNet on raw [0, 1] pixels, prints its validation accuracy, exports ONNX. */
const TRAIN_RAW = `
import sys, numpy as np, torch, torch.nn as nn
torch.manual_seed(0)
data = np.load(sys.argv[1])
x = torch.from_numpy(data['x_train']).permute(0, 3, 1, 2).contiguous()
y = torch.from_numpy(data['y_train']).long()
net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 12, 5), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(192, 32), nn.ReLU(), nn.Linear(32, 10))
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
for epoch in range(3):
    for i in range(0, len(x), 64):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[i:i + 64]), y[i:i + 64]).backward()
        opt.step()
net.eval()
with torch.no_grad():
    xv = torch.from_numpy(data['x_val']).permute(0, 3, 1, 2).contiguous()
    acc = (net(xv).argmax(1) == torch.from_numpy(data['y_val']).long()).float().mean().item()
torch.onnx.export(net, torch.zeros(1, 1, 28, 28), sys.argv[2], opset_version=13, input_names=['input'], dynamic_axes={'input': {0: 'batch'}})
print(acc)
`;

test('a teacher trained on raw pixels, imported with --normalise none, measures at its PyTorch accuracy; run.json and both exports carry it', { skip: noTorch }, async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'esnac-preprocessing-'));
  // Digits from the embedded MNIST as float32 [0, 1] NHWC: 2,000 train, 400 validation, 400 test.
  const mnist = await loadDataset('mnist', { limitTrain: 2000 });
  const part = (start: number, count: number) => mnist.validation.pixels.slice(start * 784, (start + count) * 784);
  const labels = (split: { labels: Int32Array }, start: number, count: number) => npy('<i8', [count], split.labels.subarray(start, start + count));
  const file = join(dir, 'digits.npz');
  writeFileSync(file, zip({
    x_train: npy('<f4', [2000, 28, 28, 1], mnist.train.pixels), y_train: npy('<i8', [2000], mnist.train.labels),
    x_val: npy('<f4', [400, 28, 28, 1], part(0, 400)), y_val: labels(mnist.validation, 0, 400),
    x_test: npy('<f4', [400, 28, 28, 1], part(400, 400)), y_test: labels(mnist.validation, 400, 400),
  }, false));
  const onnx = join(dir, 'lenet.onnx');
  const trained = spawnSync('/usr/bin/python3', ['-c', TRAIN_RAW, file, onnx], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  const pytorchAccuracy = Number(trained.stdout.trim().split('\n').at(-1));
  assert.ok(pytorchAccuracy > 0.7, `PyTorch accuracy ${pytorchAccuracy}`);

  const teacherPath = join(dir, 'lenet.arch.yaml');
  const weights = join(dir, 'lenet.weights');
  const imported = await importOnnxFile({ model: onnx, spec: teacherPath, weights, normalisation: (channels) => parseFixedNormalisation('none', channels)! });
  assert.deepEqual(readModel(weights).normalisation, { rule: 'none', mean: [0], std: [1] });
  assert.deepEqual(imported.normalisation, { rule: 'none', mean: [0], std: [1] });

  const runDir = join(dir, 'run');
  const logs: string[] = [];
  await compress(
    { teacherPath, teacherWeights: weights, dataset: `npz:${file}`, runDir, settings: { ...TINY_SEARCH, limitTrain: 0, limitValidation: 0, steps: 1, kernels: 1, workers: 1 } },
    { log: (line) => logs.push(line) },
  );
  assert.ok(logs.some((l) => /normalisation none: mean \[0\], std \[1\]/.test(l)), 'the normalisation is printed at the start');
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.deepEqual(run.preprocessing, { normalisation: { rule: 'none', mean: [0], std: [1] }, augment: 'none' });
  const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const teacher = journal.find((e) => e.type === 'teacher') as TeacherEvent;
  assert.ok(Math.abs(teacher.accuracy - pytorchAccuracy) <= 1 / 400 + 1e-9, `esnac ${teacher.accuracy}, PyTorch ${pytorchAccuracy}`);

  assert.deepEqual(readModel(join(runDir, 'best.weights')).normalisation, run.preprocessing.normalisation);
  const module = join(dir, 'student.py');
  await exportSpecFile({ spec: join(runDir, 'best.arch.yaml'), to: 'pytorch', output: module, weights: join(runDir, 'best.weights') });
  const source = readFileSync(module, 'utf8');
  assert.match(source, /input_normalisation = "none"\n {4}input_mean = \(0,\)\n {4}input_std = \(1,\)/);
  assert.match(source, /Input: pixels scaled to \[0, 1\], then per channel \(x - mean\) \/ std with mean \[0\], std \[1\]/);
  const exported = join(dir, 'student.onnx');
  await exportSpecFile({ spec: join(runDir, 'best.arch.yaml'), to: 'onnx', output: exported, weights: join(runDir, 'best.weights') });
  const metadata = readOnnxFile(exported).metadata!;
  assert.deepEqual(JSON.parse(metadata['esnac.normalisation']), { rule: 'none', mean: [0], std: [1] });
  assert.match(metadata['esnac.input'], /^Input: pixels scaled to \[0, 1\]/);
});
