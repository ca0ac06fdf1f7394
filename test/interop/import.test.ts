import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../engine/backend';
import { readOnnxFile } from '../../engine/interop/onnx-codec';
import { importOnnx } from '../../engine/interop/onnx-import';
import { inheritWeights } from '../../engine/model/inherit';
import { loadModel } from '../../engine/model/io';
import { checkWeights, Network } from '../../engine/model/network';
import { disposeWeights, WeightMap, weightSpecs } from '../../engine/model/weights';
import { buildSearchSpace, sampleCandidate } from '../../engine/space';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { Dataset } from '../../engine/data';
import { train } from '../../engine/train/loop';
import { checkSpec, loadSpecFile } from '../../engine/architecture/validate';
import { Rng } from '../../engine/util/rng';
import { assertClose, checkExport, runTfjs } from './helpers';
import { esnac, runHelper, skipReason } from './python';

interface TorchResult {
  name: string;
  params: number;
  inputShape: [number, number, number, number];
  output: number[];
}

/** torchvision's, then hand-written nets: LeNet-5 (tanh, nn.AvgPool2d), pytorch/examples' MNIST net (a final log_softmax), a CIFAR ResNet (F.avg_pool2d). */
const MODELS = ['resnet18', 'vgg11_bn', 'mobilenet_v2', 'shufflenet_v2_x0_5', 'efficientnet_b0', 'mobilenet_v3_small', 'regnet_y_400mf', 'lenet5', 'mnist_example', 'cifar_resnet'];
/** VGG-11 at 224x224 (7.6 GMACs) takes about 25 s on the cpu backend, 4 s on wasm. */
const BACKEND: Record<string, 'cpu' | 'wasm'> = { vgg11_bn: 'wasm' };
/** The compact models whose candidates are trained and exported. */
const COMPACT = ['efficientnet_b0', 'mobilenet_v3_small', 'regnet_y_400mf'];

/** A few random images of the spec's input: enough for a training step. */
function randomDataset(spec: ArchitectureSpec, rng: Rng): Dataset {
  const { channels, height, width } = spec.input;
  const split = (count: number) => ({
    pixels: Float32Array.from({ length: count * channels * height * width }, () => rng.normal()),
    scale: 1,
    labels: Int32Array.from({ length: count }, () => rng.int(0, spec.classes - 1)),
    count,
  });
  const normalisation = { rule: 'none', mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) };
  return { name: 'random', input: spec.input, classes: spec.classes, train: split(8), validation: split(4), normalisation, augment: false, source: 'random', splitRule: 'random images', notes: [] };
}

describe('importing torchvision models exported by torch.onnx', { skip: skipReason }, () => {
  let dir: string;
  const results = new Map<string, TorchResult>();
  const onnxPath = (name: string) => join(dir, `${name}.onnx`);

  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'esnac-onnx-'));
    runHelper('torchvision_models.py', [dir, ...MODELS]);
    for (const r of JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as TorchResult[]) results.set(r.name, r);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** tfjs's logits for the input PyTorch saw, as a fraction of PyTorch's largest logit off. */
  function assertSameOutputs(name: string, spec: ArchitectureSpec, weights: WeightMap): number {
    const torch = results.get(name)!;
    const net = new Network(spec, weights);
    const bytes = readFileSync(join(dir, `${name}.input.bin`));
    const output = tf.tidy(() => {
      const nchw = tf.tensor4d(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), torch.inputShape);
      const logits = net.forward(tf.transpose(nchw, [0, 2, 3, 1]), { training: false });
      // The MNIST example's output is log_softmax of the logits, which its spec ends with.
      return Array.from((name === 'mnist_example' ? tf.logSoftmax(logits) : logits).dataSync());
    });
    net.dispose();
    return assertClose(output, torch.output, 1e-4);
  }

  for (const name of MODELS) {
    test(`${name}: same parameter count and outputs as PyTorch`, async (t) => {
      await initBackend(BACKEND[name] ?? 'cpu');
      const before = tf.memory().numTensors;
      const model = readOnnxFile(onnxPath(name));
      assert.equal(model.graph.inputs[0].dims[0], 'batch', 'exported with a symbolic batch axis (torchvision_models.py)');
      const { spec, weights, notes } = importOnnx(model, name, `${name}.onnx`);
      assert.equal(inferShapes(spec).params, results.get(name)!.params);
      // The MNIST example's log_softmax is dropped, with a note.
      if (name === 'mnist_example') assert.match(notes.join('\n'), /dropped the final LogSoftmax/);
      const error = assertSameOutputs(name, spec, weights);
      t.diagnostic(`${name}: largest difference from PyTorch ${error.toExponential(2)} of the largest logit (${tf.getBackend()})`);
      disposeWeights(weights);
      assert.equal(tf.memory().numTensors, before);
      await tf.setBackend('cpu');
    });
  }

  test('resnet18: layers keep the module names and sums stay explicit', () => {
    const { spec, weights } = importOnnx(readOnnxFile(onnxPath('resnet18')), 'resnet18', 'resnet18.onnx');
    disposeWeights(weights);
    const ids = spec.layers.map((l) => l.id);
    for (const id of ['conv1', 'bn1', 'maxpool', 'layer1.0.conv1', 'layer2.0.downsample.0', 'layer1.0.add', 'avgpool', 'flatten', 'fc']) assert.ok(ids.includes(id), id);
    const add = spec.layers.find((l) => l.id === 'layer1.0.add')!;
    assert.deepEqual(add.inputs, ['layer1.0.bn2', 'maxpool']);
  });

  test("mobilenet_v2: its ReLU6 (Clip(0, 6)) are relu6 layers named after their modules", () => {
    const { spec, weights } = importOnnx(readOnnxFile(onnxPath('mobilenet_v2')), 'mobilenet_v2', 'mobilenet_v2.onnx');
    disposeWeights(weights);
    const relu6 = spec.layers.filter((l) => l.type === 'relu6').map((l) => l.id);
    assert.equal(relu6.length, 35);
    for (const id of ['features.0.2', 'features.1.conv.0.2', 'features.18.2']) assert.ok(relu6.includes(id), id);
  });

  test('shufflenet_v2: each stride-1 unit splits its input into two chunk layers', () => {
    const { spec, weights } = importOnnx(readOnnxFile(onnxPath('shufflenet_v2_x0_5')), 'shufflenet', 'shufflenet_v2_x0_5.onnx');
    disposeWeights(weights);
    const chunks = spec.layers.filter((l) => l.type === 'chunk');
    // Stages of 4, 8 and 4 units, the first of each with stride 2 and no split.
    assert.equal(chunks.length, 2 * (3 + 7 + 3));
    const [first, second] = ['stage2.1.slice', 'stage2.1.slice_1'].map((id) => spec.layers.find((l) => l.id === id));
    assert.deepEqual(first, { id: 'stage2.1.slice', type: 'chunk', chunks: 2, index: 0 });
    assert.deepEqual(second, { id: 'stage2.1.slice_1', type: 'chunk', chunks: 2, index: 1, inputs: ['stage2.0.shuffle'] });
    assert.deepEqual(inferShapes(spec).byId.get('stage4.1.slice')!.shape, [96, 1, 1]);
    // Its 1x1 convs keep their widths (24 -> 24, 48 -> 48...), which ties every stage to the
    // stem: shrinking the stem shrinks each stage's units through their chunks.
    const space = buildSearchSpace(spec);
    const rng = new Rng(5);
    const widths = Array.from({ length: 20 }, () => inferShapes(sampleCandidate(space, rng).spec).byId.get('stage4.1.slice')!.shape[0]);
    assert.ok(widths.some((w) => w < 96), `stage 4 halves: ${widths}`);
  });

  test('hand-written nets keep their tanh, nn.AvgPool2d and F.avg_pool2d as layers', () => {
    const types = (name: string) => {
      const { spec, weights } = importOnnx(readOnnxFile(onnxPath(name)), name, `${name}.onnx`);
      disposeWeights(weights);
      return spec.layers.map((l) => l.type);
    };
    assert.deepEqual(types('lenet5').filter((type) => type === 'tanh' || type === 'avgpool'), ['tanh', 'avgpool', 'tanh', 'avgpool', 'tanh', 'tanh']);
    // The shortcut's two equal F.avg_pool2d(x, 3, 2, 1) are one node once torch.onnx has merged them; then the final F.avg_pool2d(out, 16).
    assert.deepEqual(types('cifar_resnet').filter((type) => type === 'avgpool'), ['avgpool', 'avgpool']);
  });

  for (const name of ['mobilenet_v2', 'shufflenet_v2_x0_5', ...COMPACT]) {
    const compact = COMPACT.includes(name);
    test(`${name}: compressed candidates are valid; one${compact ? ' trains a step on tfjs and,' : ','} exported by esnac, runs alike in PyTorch and ONNX`, async (t) => {
      const { spec, weights } = importOnnx(readOnnxFile(onnxPath(name)), name, `${name}.onnx`);
      const space = buildSearchSpace(spec);
      const rng = new Rng(2);
      for (let i = 0; i < 50; i++) assert.deepEqual(checkSpec(sampleCandidate(space, rng).spec), [], `candidate ${i}`);
      const candidate = sampleCandidate(space, rng).spec;
      const student = { spec: candidate, weights: inheritWeights({ spec, weights }, candidate, rng) };
      if (compact) await trainsAStep(spec, weights, student);
      disposeWeights(weights);
      const check = await checkExport(dir, `${name}-student`, student, runTfjs(student, 2, new Rng(3)));
      disposeWeights(student.weights);
      t.diagnostic(`${name}: ${space.groups.length} shrink groups; the student (${inferShapes(candidate).params} of ${inferShapes(spec).params} params) differs in PyTorch by ${check.pytorch.toExponential(2)}, in ONNX by ${check.onnx.toExponential(2)} of the largest logit`);
    });
  }

  /** One distillation step of the student on tfjs (wasm) changes its weights and gives a finite loss. */
  async function trainsAStep(teacherSpec: ArchitectureSpec, teacherWeights: WeightMap, student: { spec: ArchitectureSpec; weights: WeightMap }): Promise<void> {
    await initBackend('wasm');
    const teacher = new Network(teacherSpec, teacherWeights);
    const net = new Network(student.spec, student.weights);
    const before = net.snapshot();
    const outcome = await train(net, randomDataset(student.spec, new Rng(4)), {
      epochs: 1, batchSize: 8, learningRate: 1e-3, weightDecay: 5e-4, rng: new Rng(5),
      objective: { kind: 'distill', teacher, loss: { kind: 'mse' } },
    });
    assert.ok(Number.isFinite(outcome.epochs[0].loss), `loss ${outcome.epochs[0].loss}`);
    const moved = [...net.weights()].filter(([name, v]) => tf.tidy(() => tf.max(tf.abs(tf.sub(v, before.get(name)!))).dataSync()[0]) > 0).length;
    assert.ok(moved > net.trainable().length / 2, `${moved} weights changed`);
    disposeWeights(before);
    if (outcome.best) disposeWeights(outcome.best);
    net.dispose();
    teacher.dispose();
    await tf.setBackend('cpu');
  }

  test('esnac import writes a teacher spec and a weights folder that search and inheritance use', async () => {
    const specPath = join(dir, 'teacher', 'resnet18.arch.yaml');
    const weightsDir = join(dir, 'teacher', 'resnet18.weights');
    const run = esnac(['import', onnxPath('resnet18'), '-o', specPath, '--weights', weightsDir]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /wrote resnet18 \(\d+ layers, 11,181,642 params\) to .*resnet18\.arch\.yaml and its weights to /);
    const before = tf.memory().numTensors;
    const spec = await loadSpecFile(specPath);
    assert.equal(spec.description, 'imported from resnet18.onnx');
    const teacher = loadModel(weightsDir);
    checkWeights(spec.name, weightSpecs(spec), teacher.weights);
    assertSameOutputs('resnet18', spec, teacher.weights);
    // A compressed candidate of the imported teacher inherits its weights.
    const rng = new Rng(1);
    const candidate = sampleCandidate(buildSearchSpace(spec), rng).spec;
    const inherited = inheritWeights({ spec, weights: teacher.weights }, candidate, rng);
    checkWeights(candidate.name, weightSpecs(candidate), inherited);
    disposeWeights(inherited);
    disposeWeights(teacher.weights);
    assert.equal(tf.memory().numTensors, before);

    const again = esnac(['import', onnxPath('resnet18'), '-o', specPath]);
    assert.equal(again.status, 1);
    assert.equal(again.stderr.trim().split('\n').pop(), `esnac: ${specPath} exists; choose another name or pass --force to overwrite it`);
  });
});
