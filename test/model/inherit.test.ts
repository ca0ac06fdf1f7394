import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { inheritWeights } from '../../engine/model/inherit';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { ArchitectureSpec, ARCH_FORMAT, Layer } from '../../engine/architecture/types';
import { Rng } from '../../engine/util/rng';

before(async () => {
  await tf.setBackend('cpu');
});

function net(conv1: number, conv2Groups: number, removeBn2: boolean): ArchitectureSpec {
  const layers: Layer[] = [
    { id: 'conv1', type: 'conv', out: conv1, kernel: 3, padding: 1 },
    { id: 'bn1', type: 'batchnorm' },
    { id: 'relu1', type: 'relu' },
    { id: 'conv2', type: 'conv', out: 4, kernel: 3, padding: 1, groups: conv2Groups, bias: false },
    removeBn2 ? { id: 'bn2', type: 'identity' } : { id: 'bn2', type: 'batchnorm' },
    { id: 'flat', type: 'flatten' },
    { id: 'fc', type: 'linear', out: 3 },
  ];
  return { format: ARCH_FORMAT, name: 'n', input: { channels: 2, height: 2, width: 2 }, classes: 3, layers };
}

/** Values of a weight in tfjs layout as a nested array. */
function values(w: Map<string, tf.Tensor>, name: string): unknown {
  return w.get(name)!.arraySync();
}

test('a shrunk candidate keeps the first output and input slices; batchnorm restarts its statistics', () => {
  const teacherSpec = net(6, 2, false);
  const teacher = initialWeights(teacherSpec, new Rng(1));
  // The teacher's running statistics as after training, so that a reset shows.
  teacher.get('bn1/running_mean')!.dispose();
  teacher.set('bn1/running_mean', tf.fill([6], 0.5));
  const candidate = net(4, 2, true);
  const inherited = inheritWeights({ spec: teacherSpec, weights: teacher }, candidate, new Rng(2));

  const conv1 = teacher.get('conv1/weight')!.arraySync() as number[][][][];
  assert.deepEqual(values(inherited, 'conv1/weight'), conv1.map((row) => row.map((col) => col.map((inp) => inp.slice(0, 4)))));
  assert.deepEqual(values(inherited, 'conv1/bias'), (teacher.get('conv1/bias')!.arraySync() as number[]).slice(0, 4));
  assert.deepEqual(values(inherited, 'bn1/weight'), (teacher.get('bn1/weight')!.arraySync() as number[]).slice(0, 4));
  assert.deepEqual(values(inherited, 'bn1/running_mean'), [0, 0, 0, 0]);
  assert.deepEqual(values(inherited, 'bn1/running_var'), [1, 1, 1, 1]);
  // conv2 has 2 groups: 6 -> 4 input channels means 3 -> 2 per group: the first 2 input slices.
  const conv2 = teacher.get('conv2/weight')!.arraySync() as number[][][][];
  assert.deepEqual(values(inherited, 'conv2/weight'), conv2.map((row) => row.map((col) => col.slice(0, 2))));
  assert.equal(inherited.has('bn2/weight'), false);
  assert.deepEqual(values(inherited, 'fc/weight'), teacher.get('fc/weight')!.arraySync());
  assert.deepEqual([...inherited.keys()].sort(), ['bn1/bias', 'bn1/running_mean', 'bn1/running_var', 'bn1/weight', 'conv1/bias', 'conv1/weight', 'conv2/weight', 'fc/bias', 'fc/weight']);
  disposeWeights(teacher);
  disposeWeights(inherited);
});

test('a layer the teacher lacks, or one that grew, starts from a fresh initialisation', () => {
  const teacherSpec = net(4, 1, false);
  const teacher = initialWeights(teacherSpec, new Rng(1));
  const grown = net(6, 1, false);
  grown.layers[0] = { ...grown.layers[0], id: 'renamed' } as Layer;
  grown.layers[1] = { ...grown.layers[1], inputs: ['renamed'] } as Layer;
  const inherited = inheritWeights({ spec: teacherSpec, weights: teacher }, grown, new Rng(5));
  const fresh = initialWeights(grown, new Rng(5));
  assert.deepEqual(values(inherited, 'renamed/weight'), values(fresh, 'renamed/weight'));
  assert.deepEqual(values(inherited, 'bn1/weight'), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(values(inherited, 'fc/weight'), values(teacher, 'fc/weight'));
  disposeWeights(teacher);
  disposeWeights(inherited);
  disposeWeights(fresh);
});
