import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveGraph } from '../../engine/architecture/graph';
import { inferShapes } from '../../engine/architecture/shapes';
import { checkSpec } from '../../engine/architecture/validate';
import { ArchitectureSpec, INPUT_ID } from '../../engine/architecture/types';
import { UserError } from '../../engine/util/errors';
import { ZOO_DATASETS, ZOO_NAMES, ZooName, zooDatasets, zooTeacher } from '../../engine/zoo/index';

// The paper's Table 1 and the counts its authors' code produces (docs/reference-implementation.md).
const PAPER: Record<string, { layers: number; edges: number; cifar100: number; cifar10: number }> = {
  vgg19: { layers: 55, edges: 54, cifar100: 20.09e6, cifar10: 20.04e6 },
  resnet18: { layers: 60, edges: 67, cifar100: 11.22e6, cifar10: 11.17e6 },
  resnet34: { layers: 108, edges: 123, cifar100: 21.33e6, cifar10: 21.28e6 },
  'shufflenet-1x-g2': { layers: 159, edges: 174, cifar100: 1.06e6, cifar10: 0.99e6 },
};

/**
 * Layer -> layer connections, as the table counts them: each input of each layer is one edge,
 * except reads of the network input (VGG-19's chain of 55 layers has 54 edges).
 */
function edgeCount(spec: ArchitectureSpec): number {
  return resolveGraph(spec).order.reduce((n, l) => n + l.inputs.filter((id) => id !== INPUT_ID).length, 0);
}

const params = (name: ZooName, dataset: 'cifar10' | 'cifar100' | 'mnist' | 'fashion-mnist') => inferShapes(zooTeacher(name, dataset)).params;

for (const [name, paper] of Object.entries(PAPER) as [ZooName, (typeof PAPER)[string]][]) {
  test(`${name} matches the paper's parameter counts within 0.5%`, () => {
    for (const dataset of ['cifar10', 'cifar100'] as const) {
      const got = params(name, dataset);
      const error = Math.abs(got - paper[dataset]) / paper[dataset];
      assert.ok(error <= 0.005, `${name} on ${dataset}: ${got} params, paper ${paper[dataset]} (${(100 * error).toFixed(2)}% off)`);
    }
  });

  test(`${name} differs between CIFAR-10 and CIFAR-100 by the classifier alone`, () => {
    const fc = zooTeacher(name, 'cifar10').layers.at(-1)!;
    assert.equal(fc.type, 'linear');
    const features = inferShapes(zooTeacher(name, 'cifar10')).byId.get(fc.id)!.inShape[0];
    assert.equal(params(name, 'cifar100') - params(name, 'cifar10'), 90 * (features + 1));
  });

  test(`${name} has the paper's layer and edge counts on every dataset it takes`, () => {
    for (const dataset of zooDatasets(name)) {
      const spec = zooTeacher(name, dataset);
      assert.equal(spec.layers.length, paper.layers, `${name} on ${dataset}: layers`);
      assert.equal(edgeCount(spec), paper.edges, `${name} on ${dataset}: edges`);
    }
  });
}

test('the paper teachers other than VGG-19 take 28x28x1 inputs with the same body', () => {
  for (const name of ['resnet18', 'resnet34', 'shufflenet-1x-g2'] as const) {
    assert.deepEqual(zooDatasets(name), [...ZOO_DATASETS]);
    // Only the stem conv's input channels change: 3 -> 1.
    const stem = zooTeacher(name, 'cifar10').layers[0];
    assert.equal(stem.type, 'conv');
    const perInputChannel = stem.type === 'conv' ? stem.out * stem.kernel * stem.kernel : 0;
    assert.equal(params(name, 'cifar10') - params(name, 'mnist'), 2 * perInputChannel);
  }
});

test('VGG-19 refuses 28x28 inputs with a UserError that says why', () => {
  assert.deepEqual(zooDatasets('vgg19'), ['cifar10', 'cifar100']);
  for (const dataset of ['mnist', 'fashion-mnist'] as const) {
    assert.throws(() => zooTeacher('vgg19', dataset), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /28x28/);
      assert.match(err.message, /28 -> 14 -> 7 -> 3 -> 1 -> 0/);
      assert.match(err.message, /at least 32x32/);
      return true;
    });
  }
});

test('unknown teachers and datasets are UserErrors', () => {
  assert.throws(() => zooTeacher('resnet50' as ZooName, 'cifar10'), (err: unknown) => err instanceof UserError && /resnet50/.test(err.message));
  assert.throws(() => zooTeacher('resnet18', 'imagenet' as 'cifar10'), (err: unknown) => err instanceof UserError && /imagenet/.test(err.message));
});

test('every teacher is a valid spec free of shape issues on every dataset it takes, with its input and classes', () => {
  for (const name of ZOO_NAMES) {
    for (const dataset of zooDatasets(name)) {
      const spec = zooTeacher(name, dataset);
      assert.deepEqual(checkSpec(spec), [], `${name} on ${dataset}`);
      assert.deepEqual(inferShapes(spec).issues, [], `${name} on ${dataset}`);
      const cifar = dataset.startsWith('cifar');
      assert.deepEqual(spec.input, cifar ? { channels: 3, height: 32, width: 32 } : { channels: 1, height: 28, width: 28 });
      assert.equal(spec.classes, dataset === 'cifar100' ? 100 : 10);
      assert.equal(spec.name, `${name}-${dataset}`);
    }
  }
});

test('layer ids are unique and the same on every call', () => {
  for (const name of ZOO_NAMES) {
    const spec = zooTeacher(name, 'cifar10');
    const ids = spec.layers.map((l) => l.id);
    assert.equal(new Set(ids).size, ids.length, name);
    assert.deepEqual(zooTeacher(name, 'cifar10'), spec);
  }
});

test('the mini teachers have 50k-300k parameters on every dataset', () => {
  for (const name of ['resnet-mini', 'vgg-mini'] as const) {
    assert.deepEqual(zooDatasets(name), [...ZOO_DATASETS]);
    for (const dataset of ZOO_DATASETS) {
      const n = params(name, dataset);
      assert.ok(n >= 50_000 && n <= 300_000, `${name} on ${dataset}: ${n} params`);
    }
  }
});

test('ResNet blocks sum the shortcut; ShuffleNet stride-2 units concatenate a 1x1 conv + avgpool shortcut', () => {
  const resnet = zooTeacher('resnet18', 'cifar10');
  const byId = new Map(resnet.layers.map((l) => [l.id, l]));
  assert.deepEqual(byId.get('layer1.0.relu2')!.inputs, ['layer1.0.bn2', 'relu']);
  assert.deepEqual(byId.get('layer2.0.relu2')!.inputs, ['layer2.0.bn2', 'layer2.0.shortcut.bn']);
  assert.deepEqual(byId.get('layer2.0.shortcut.conv')!.inputs, ['layer1.1.relu2']);

  const shuffle = zooTeacher('shufflenet-1x-g2', 'cifar10');
  const report = inferShapes(shuffle);
  const sIds = new Map(shuffle.layers.map((l) => [l.id, l]));
  assert.deepEqual(sIds.get('layer2.0.concat')!.inputs, ['layer2.0.bn3', 'layer2.0.shortcut.pool']);
  assert.deepEqual(sIds.get('layer2.0.shortcut.conv')!.inputs, ['layer1.3.relu']);
  assert.deepEqual(report.byId.get('layer2.0.concat')!.shape, [400, 8, 8]);
  assert.deepEqual(report.byId.get('layer3.3.relu')!.shape, [800, 4, 4]);
  const avgpools = shuffle.layers.filter((l) => l.type === 'avgpool' && l.id !== 'avgpool');
  assert.equal(avgpools.length, 3);
  for (const pool of avgpools) {
    const index = shuffle.layers.indexOf(pool);
    assert.equal(shuffle.layers[index - 1].type, 'conv', `a 1x1 conv comes before ${pool.id}`);
  }
});
