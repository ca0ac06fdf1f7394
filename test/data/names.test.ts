import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_FASHION_MNIST_DIR, loadDataset, parseDatasetName } from '../../engine/data/index';
import { UserError } from '../../engine/util/errors';

test('dataset names: each accepted form', () => {
  assert.deepEqual(parseDatasetName('mnist'), { kind: 'mnist' });
  assert.deepEqual(parseDatasetName('mnist:/data/mnist'), { kind: 'mnist', dir: '/data/mnist' });
  assert.deepEqual(parseDatasetName('fashion-mnist'), { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR });
  assert.deepEqual(parseDatasetName('Fashion-MNIST:./fm'), { kind: 'fashion-mnist', dir: './fm' });
  assert.deepEqual(parseDatasetName('cifar10:/d/c10'), { kind: 'cifar10', dir: '/d/c10' });
  assert.deepEqual(parseDatasetName('cifar100:/d/with:colon'), { kind: 'cifar100', dir: '/d/with:colon' });
});

test('dataset names: unknown names, missing or empty directories list the accepted forms', () => {
  const cases: Array<[string, RegExp]> = [
    ['imagenet', /dataset "imagenet": unknown dataset/],
    ['cifar10', /cifar10 needs the directory of its files \(cifar10:DIR\)/],
    ['cifar100', /cifar100 needs the directory/],
    ['fashion-mnist:', /the directory after ":" is empty/],
  ];
  for (const [name, problem] of cases) {
    assert.throws(() => parseDatasetName(name), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, problem);
      assert.match(err.message, /accepted forms:[\s\S]*mnist[\s\S]*fashion-mnist\[:DIR\][\s\S]*cifar10:DIR[\s\S]*cifar100:DIR/);
      return true;
    });
  }
});

test('loadDataset rejects limits that are not positive whole numbers', async () => {
  await assert.rejects(loadDataset('mnist', { limitTrain: 0 }), /limitTrain must be a positive whole number of examples, got 0/);
  await assert.rejects(loadDataset('mnist', { limitValidation: 2.5 }), /limitValidation must be a positive whole number/);
});

test("every dataset form is in the help of each command that reads a dataset (the real CLI's --help)", () => {
  const forms = ['mnist', 'mnist:DIR', 'fashion-mnist[:DIR]', 'cifar10:DIR', 'cifar100:DIR', 'folder:DIR', 'npz:FILE'];
  for (const command of ['train', 'compress']) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', command, '--help'], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    // One entry per option: its first line starts with "  -", wrapped lines follow.
    const entries = run.stdout.split(/\n(?=  -)/).map((entry) => entry.replace(/\s+/g, ' '));
    const dataset = entries.find((entry) => entry.includes('--dataset'));
    assert.ok(dataset, `${command} --help has no --dataset line:\n${run.stdout}`);
    for (const form of forms) assert.ok(dataset.includes(form), `${command} --help does not name ${form}: ${dataset}`);
  }
});
