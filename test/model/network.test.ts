import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../engine/backend';
import { Network, BN_MOMENTUM, disposeStats, BatchStats } from '../../engine/model/network';
import { disposeWeights, initialWeights, WeightMap } from '../../engine/model/weights';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec, ARCH_FORMAT, INPUT_ID, Layer } from '../../engine/architecture/types';
import { Rng } from '../../engine/util/rng';
import { ZOO_NAMES, zooDatasets, zooTeacher } from '../../engine/zoo';
import { MINI_SE, MINI_SHUFFLE_V2 } from '../space/fixtures/specs';

before(async () => {
  await tf.setBackend('cpu');
});

function spec(input: [number, number, number], layers: Layer[], classes?: number): ArchitectureSpec {
  const [channels, height, width] = input;
  const draft: ArchitectureSpec = { format: ARCH_FORMAT, name: 'test', input: { channels, height, width }, classes: 1, layers };
  if (classes !== undefined) return { ...draft, classes };
  const out = inferShapes(draft).byId.get(layers[layers.length - 1].id)!.shape;
  return { ...draft, classes: out[0] * out[1] * out[2] };
}

function build(s: ArchitectureSpec, seed = 1): Network {
  const weights = initialWeights(s, new Rng(seed));
  const net = new Network(s, weights);
  disposeWeights(weights);
  return net;
}

/** Output of the network as an NCHW nested array, for comparison with PyTorch-style expectations. */
function run(net: Network, nchw: number[][][][], training = false): number[] {
  return tf.tidy(() => {
    const x = tf.transpose(tf.tensor4d(nchw), [0, 2, 3, 1]) as tf.Tensor4D;
    return Array.from(net.forward(x, training ? { training: true, rng: new Rng(0) } : { training: false }).dataSync());
  });
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}] ${actual[i]} != ${expected[i]}`);
}

test('every zoo teacher, a ShuffleNetV2 stage and the SE blocks build and each layer output has the shape shape inference gives', () => {
  const before = tf.memory().numTensors;
  const teachers = ZOO_NAMES.flatMap((name) => (name.endsWith('-mini') ? zooDatasets(name) : zooDatasets(name).slice(0, 1)).map((dataset) => zooTeacher(name, dataset)));
  for (const teacher of [...teachers, MINI_SHUFFLE_V2, MINI_SE]) {
    const net = build(teacher);
    const expected = inferShapes(teacher);
    assert.equal(net.params, expected.params);
    const shapes = new Map<string, number[]>();
    tf.tidy(() => {
      const { channels, height, width } = teacher.input;
      const acts = net.activations(tf.zeros([1, height, width, channels]), { training: false });
      for (const [id, t] of acts) shapes.set(id, t.shape);
    });
    for (const layer of expected.layers) {
      const [n, h, w, c] = shapes.get(layer.id)!;
      assert.deepEqual([n, c, h, w], [1, ...layer.shape], `${teacher.name} ${layer.id}`);
    }
    assert.ok(shapes.has(INPUT_ID));
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('flatten uses PyTorch CHW order', () => {
  const net = build(spec([2, 1, 2], [{ id: 'f', type: 'flatten' }]));
  assert.deepEqual(run(net, [[[[1, 2]], [[3, 4]]]]), [1, 2, 3, 4]);
  net.dispose();
});

test('channel shuffle matches view(N, g, C/g, H, W).transpose(1, 2)', () => {
  const net = build(spec([6, 1, 1], [{ id: 's', type: 'shuffle', groups: 2 }, { id: 'f', type: 'flatten' }]));
  assert.deepEqual(run(net, [[[[0]], [[1]], [[2]], [[3]], [[4]], [[5]]]]), [0, 3, 1, 4, 2, 5]);
  net.dispose();
});

test('chunk takes the index-th of k equal channel parts, as torch.chunk(x, k, 1)[index]', () => {
  const channels = [[[[0]], [[1]], [[2]], [[3]], [[4]], [[5]]]];
  const parts = [0, 1, 2].map((index) => {
    const net = build(spec([6, 1, 1], [{ id: 'c', type: 'chunk', chunks: 3, index }, { id: 'f', type: 'flatten' }]));
    const values = run(net, channels);
    net.dispose();
    return values;
  });
  assert.deepEqual(parts, [[0, 1], [2, 3], [4, 5]]);
});

test('relu6 is min(max(x, 0), 6)', () => {
  const net = build(spec([1, 1, 4], [{ id: 'r', type: 'relu6' }, { id: 'f', type: 'flatten' }]));
  assert.deepEqual(run(net, [[[[-2, 0.5, 6, 7.5]]]]), [0, 0.5, 6, 6]);
  net.dispose();
});

test('sigmoid, hardsigmoid, hardswish, silu and tanh follow PyTorch (values from torch 1.13)', () => {
  const x = [-4, -3, -1, 0, 1.5, 3, 5];
  const apply = (type: 'sigmoid' | 'hardsigmoid' | 'hardswish' | 'silu' | 'tanh') => {
    const net = build(spec([1, 1, x.length], [{ id: 'a', type }, { id: 'f', type: 'flatten' }]));
    const values = run(net, [[[x]]]);
    net.dispose();
    return values;
  };
  const sigmoid = x.map((v) => 1 / (1 + Math.exp(-v)));
  assertClose(apply('sigmoid'), sigmoid);
  assertClose(apply('hardsigmoid'), [0, 0, 1 / 3, 0.5, 0.75, 1, 1]);
  assertClose(apply('hardswish'), [0, 0, -1 / 3, 0, 1.125, 3, 5]);
  assertClose(apply('silu'), x.map((v, i) => v * sigmoid[i]));
  assertClose(apply('tanh'), x.map(Math.tanh));
});

test('the activations\' gradients are their derivatives (central differences)', () => {
  const x = tf.tensor4d([-4.5, -2, -0.7, 0.3, 1.1, 2.5, 4], [1, 1, 7, 1]);
  for (const type of ['sigmoid', 'hardsigmoid', 'hardswish', 'silu', 'tanh'] as const) {
    const net = build(spec([1, 1, 7], [{ id: 'a', type }, { id: 'f', type: 'flatten' }]));
    const f = (v: tf.Tensor) => tf.sum(net.forward(v as tf.Tensor4D, { training: false }));
    const analytic = tf.tidy(() => Array.from(tf.grad(f)(x).dataSync()));
    const h = 1e-2;
    const numeric = tf.tidy(() => Array.from(tf.div(tf.sub(net.forward(tf.add(x, h), { training: false }), net.forward(tf.sub(x, h), { training: false })), 2 * h).dataSync()));
    assertClose(analytic, numeric, 2e-3);
    net.dispose();
  }
  x.dispose();
});

test('mul multiplies its inputs; a Cx1x1 gate scales each channel over height and width', () => {
  const layers: Layer[] = [
    { id: 'gate', type: 'globalavgpool', inputs: [INPUT_ID] },
    { id: 'scaled', type: 'mul', inputs: [INPUT_ID, 'gate'] },
    { id: 'squared', type: 'mul', inputs: ['scaled', 'scaled'] },
    { id: 'f', type: 'flatten' },
  ];
  const net = build(spec([2, 1, 2], layers));
  // Channel means 2 and -1: x * mean, then squared.
  assertClose(run(net, [[[[1, 3]], [[-2, 0]]]]), [4, 36, 4, 0]);
  net.dispose();
});

test('ceil-mode pooling and count_include_pad follow PyTorch (values from torch 1.13)', () => {
  const pooled = (layer: Layer, side: number) => {
    const net = build(spec([1, side, side], [layer, { id: 'f', type: 'flatten' }]));
    const values = run(net, [[Array.from({ length: side }, (_, r) => Array.from({ length: side }, (_, c) => r * side + c + 1))]]);
    net.dispose();
    return values;
  };
  const window = { kernel: 3, stride: 2, padding: 1, ceilMode: true };
  assertClose(pooled({ id: 'p', type: 'avgpool', ...window }, 6), [2, 4, 16 / 3, 3, 9, 15, 17, 9, 17, 27, 29, 15, 10.5, 16.5, 17.5, 9]);
  assertClose(pooled({ id: 'p', type: 'avgpool', ...window, countIncludePad: false }, 6), [4.5, 6, 8, 9, 13.5, 15, 17, 18, 25.5, 27, 29, 30, 31.5, 33, 35, 36]);
  assertClose(pooled({ id: 'p', type: 'maxpool', ...window }, 6), [8, 10, 12, 12, 20, 22, 24, 24, 32, 34, 36, 36, 32, 34, 36, 36]);
  assertClose(pooled({ id: 'p', type: 'avgpool', kernel: 2, stride: 2, ceilMode: true }, 5), [4, 6, 7.5, 14, 16, 17.5, 21.5, 23.5, 25]);
  assertClose(pooled({ id: 'p', type: 'avgpool', kernel: 3, stride: 2, padding: 1, countIncludePad: false }, 5), [4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22]);
  // A third window would start in the right padding: PyTorch drops it.
  assertClose(pooled({ id: 'p', type: 'maxpool', kernel: 2, stride: 2, padding: 1, ceilMode: true }, 3), [1, 3, 7, 9]);
});

test('batchnorm adds its own epsilon to the variance', () => {
  const net = build(spec([1, 1, 2], [{ id: 'bn', type: 'batchnorm', eps: 0.25 }, { id: 'f', type: 'flatten' }]));
  // Running mean 0 and variance 1 at initialisation: x / sqrt(1.25).
  assertClose(run(net, [[[[1, -2]]]]), [1 / Math.sqrt(1.25), -2 / Math.sqrt(1.25)]);
  // In training the batch's variance (1 here, biased) is used with the same epsilon.
  assertClose(run(net, [[[[1, -1]]]], true), [1 / Math.sqrt(1.25), -1 / Math.sqrt(1.25)]);
  net.dispose();
});

test('padded pooling follows PyTorch: max pads with -inf, avg divides by the whole window', () => {
  const avg = build(spec([1, 2, 2], [{ id: 'p', type: 'avgpool', kernel: 3, stride: 1, padding: 1 }, { id: 'f', type: 'flatten' }]));
  assertClose(run(avg, [[[[1, 1], [1, 1]]]]), [4 / 9, 4 / 9, 4 / 9, 4 / 9]);
  const max = build(spec([1, 2, 2], [{ id: 'p', type: 'maxpool', kernel: 2, stride: 2, padding: 1 }, { id: 'f', type: 'flatten' }]));
  assert.deepEqual(run(max, [[[[-1, -2], [-3, -4]]]]), [-1, -2, -3, -4]);
  avg.dispose();
  max.dispose();
});

test('several inputs are summed; concat keeps the listed order', () => {
  const layers: Layer[] = [
    { id: 'a', type: 'identity' },
    { id: 'b', type: 'relu', inputs: [INPUT_ID] },
    { id: 'sum', type: 'identity', inputs: ['a', 'b'] },
    { id: 'cat', type: 'concat', inputs: ['b', 'sum'] },
    { id: 'f', type: 'flatten' },
  ];
  const net = build(spec([1, 1, 2], layers));
  assert.deepEqual(run(net, [[[[-1, 2]]]]), [0, 2, -1, 4]);
  net.dispose();
});

/** A dense conv with a block-diagonal filter computes the grouped conv. */
function blockDiagonal(filter: tf.Tensor4D, groups: number): tf.Tensor4D {
  const perGroup = filter.shape[2];
  return tf.tidy(() => {
    const parts = tf.split(filter, groups, 3).map((f, g) => tf.pad(f, [[0, 0], [0, 0], [g * perGroup, (groups - 1 - g) * perGroup], [0, 0]]));
    return tf.concat(parts, 3) as tf.Tensor4D;
  });
}

for (const [label, groups, inChannels, out] of [['grouped', 2, 4, 6], ['depthwise', 4, 4, 8]] as const) {
  test(`${label} conv equals a dense conv with a block-diagonal filter`, () => {
    const flatten: Layer = { id: 'f', type: 'flatten' };
    const grouped = spec([inChannels, 5, 5], [{ id: 'c', type: 'conv', out, kernel: 3, padding: 1, stride: 2, groups }, flatten]);
    const dense = spec([inChannels, 5, 5], [{ id: 'c', type: 'conv', out, kernel: 3, padding: 1, stride: 2 }, flatten]);
    const g = build(grouped);
    const weights: WeightMap = new Map([
      ['c/weight', blockDiagonal(g.weights().get('c/weight') as tf.Tensor4D, groups)],
      ['c/bias', tf.clone(g.weights().get('c/bias')!)],
    ]);
    const d = new Network(dense, weights);
    disposeWeights(weights);
    const x = tf.randomNormal([2, 5, 5, inChannels], 0, 1, 'float32', 3) as tf.Tensor4D;
    const [a, b] = tf.tidy(() => [g.forward(x, { training: false }).dataSync(), d.forward(x, { training: false }).dataSync()]);
    assertClose(a, b, 1e-4);
    tf.dispose([x]);
    g.dispose();
    d.dispose();
  });
}

test('batchnorm: batch statistics in training, running statistics (momentum 0.1, unbiased variance) in inference', () => {
  const net = build(spec([1, 1, 2], [{ id: 'bn', type: 'batchnorm' }, { id: 'f', type: 'flatten' }]));
  const batch = [[[[1, 3]]], [[[5, 7]]]];
  const trained = run(net, batch, true);
  const std = Math.sqrt(5 + 1e-5); // biased variance of 1, 3, 5, 7 is 5
  assertClose(trained, [-3 / std, -1 / std, 1 / std, 3 / std]);
  const stats: BatchStats[] = [];
  tf.tidy(() => {
    net.forward(tf.transpose(tf.tensor4d(batch), [0, 2, 3, 1]) as tf.Tensor4D, { training: true, rng: new Rng(0), stats });
  });
  net.updateRunningStats(stats);
  disposeStats(stats);
  const w = net.weights();
  assertClose(w.get('bn/running_mean')!.dataSync(), [4 * BN_MOMENTUM]);
  assertClose(w.get('bn/running_var')!.dataSync(), [1 - BN_MOMENTUM + (20 / 3) * BN_MOMENTUM]);
  const m = 0.4;
  const v = 0.9 + 2 / 3;
  assertClose(run(net, [[[[1, 3]]]]), [(1 - m) / Math.sqrt(v + 1e-5), (3 - m) / Math.sqrt(v + 1e-5)]);
  net.dispose();
});

test('dropout is seeded and only active in training', () => {
  const net = build(spec([1, 4, 4], [{ id: 'd', type: 'dropout', rate: 0.5 }, { id: 'f', type: 'flatten' }]));
  const ones = [[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]];
  assert.deepEqual(run(net, [ones]), new Array(16).fill(1));
  const dropped = run(net, [ones], true);
  assert.deepEqual(dropped, run(net, [ones], true));
  assert.ok(dropped.some((v) => v === 0) && dropped.some((v) => v === 2));
  net.dispose();
});

test('initialisation is seeded and follows PyTorch bounds', () => {
  const s = spec([3, 4, 4], [{ id: 'c', type: 'conv', out: 8, kernel: 3 }, { id: 'bn', type: 'batchnorm' }]);
  const a = initialWeights(s, new Rng(7));
  const b = initialWeights(s, new Rng(7));
  const values = a.get('c/weight')!.dataSync();
  assert.deepEqual(values, b.get('c/weight')!.dataSync());
  const bound = 1 / Math.sqrt(3 * 9);
  assert.ok(values.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...values) > 0.8 * bound);
  assert.deepEqual(Array.from(a.get('bn/running_var')!.dataSync()), new Array(8).fill(1));
  disposeWeights(a);
  disposeWeights(b);
});

test('a spec with shape problems is refused with the problems listed', () => {
  const bad = spec([1, 4, 4], [{ id: 'c', type: 'conv', out: 2, kernel: 3, in: 2 } as Layer], 2);
  assert.throws(() => new Network(bad, new Map()), { name: 'UserError', message: /declares in: 2 but receives 1/ });
});

/** The gradient of a weighted sum of the logits (training mode) for every trainable weight, by name. */
function gradients(net: Network, x: tf.Tensor4D, upstream: tf.Tensor2D): Map<string, Float32Array> {
  const names = net.weightSpecs.filter((w) => w.trainable).map((w) => w.name);
  const variables = net.trainable();
  const loss = () => tf.sum(tf.mul(net.forward(x, { training: true, rng: new Rng(0) }), upstream)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(loss, variables);
  const values = new Map(names.map((name, i) => [name, Float32Array.from(grads[variables[i].name].dataSync())]));
  tf.dispose([value, ...Object.values(grads)]);
  return values;
}

/**
 * Each trainable weight's gradient on cpu and on wasm, for a spec whose weights `prepare` may
 * change: every conv and linear weight's gradient norm must reach `least` of the largest.
 */
async function gradientsOnBothBackends(s: ArchitectureSpec, least: number, prepare: (weights: WeightMap) => void, check: (net: Network, x: tf.Tensor4D) => void) {
  const results = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const weights = initialWeights(s, new Rng(3));
    prepare(weights);
    const net = new Network(s, weights);
    disposeWeights(weights);
    const rng = new Rng(4);
    const { channels, height, width } = s.input;
    const x = tf.tensor4d(Float32Array.from({ length: 2 * height * width * channels }, () => rng.normal()), [2, height, width, channels]);
    check(net, x);
    const upstream = tf.tensor2d(Float32Array.from({ length: 2 * s.classes }, () => rng.normal()), [2, s.classes]);
    results.push(gradients(net, x, upstream));
    tf.dispose([x, upstream]);
    net.dispose();
    assert.equal(tf.memory().numTensors, before, backend);
  }
  await tf.setBackend('cpu');
  const [cpu, wasm] = results;
  const norms = new Map([...cpu].map(([name, g]) => [name, Math.hypot(...g)]));
  const scale = Math.max(...norms.values());
  const dense = s.layers.filter((l) => l.type === 'conv' || l.type === 'linear').map((l) => `${l.id}/weight`);
  for (const name of dense) assert.ok(norms.get(name)! > least * scale, `${name}: gradient norm ${norms.get(name)} of ${scale}`);
  for (const [name, g] of cpu) {
    const difference = Math.hypot(...g.map((v, i) => v - wasm.get(name)![i]));
    assert.ok(difference <= 1e-5 * scale, `${name}: wasm's gradient differs by ${difference} (largest gradient norm ${scale})`);
  }
}

test('gradients flow through chunk and relu6 to every conv and linear, alike on cpu and wasm', async () => {
  // The units' branches read the second half of each split only: their convs learn through the slice.
  await gradientsOnBothBackends(
    MINI_SHUFFLE_V2,
    1e-2,
    (weights) => {
      // A batchnorm scale of 8 sends a third of the stem's values past relu6's cap.
      weights.get('stem.bn/weight')!.dispose();
      weights.set('stem.bn/weight', tf.fill([6], 8));
    },
    (net, x) => {
      const capped = tf.tidy(() => tf.sum(tf.equal(net.activations(x, { training: true, rng: new Rng(0) }).get('stem.relu')!, 6)).dataSync()[0]);
      assert.ok(capped > 100, `${capped} values capped`);
    },
  );
});

test('gradients flow through squeeze-and-excitation, the new activations, ceil-mode pooling and epsilons to every conv and linear, alike on cpu and wasm', async () => {
  // The squeeze convs see channel means of normalised features, small numbers: their gradients are ~1/300 of the largest.
  await gradientsOnBothBackends(
    MINI_SE,
    1e-3,
    (weights) => {
      // A batchnorm scale of 4 puts many of hardswish's inputs outside [-3, 3], where its slope is 0 or 1.
      weights.get('b.bn1/weight')!.dispose();
      weights.set('b.bn1/weight', tf.fill([12], 4));
    },
    (net, x) => {
      const flat = tf.tidy(() => {
        const input = net.activations(x, { training: true, rng: new Rng(0) }).get('b.bn1')!;
        return tf.sum(tf.greater(tf.abs(input), 3)).dataSync()[0] / input.size;
      });
      assert.ok(flat > 0.2, `${flat} of hardswish's inputs outside [-3, 3]`);
    },
  );
});
