// Conv2DBackpropFilter on wasm, its two formulations side by side on every conv layer shape of
// the mini teachers at training batch size: one GEMM per filter tap (filter-gemm.ts) and the
// dilated convolution it replaced where it pays; which one the kernel picks; and per model the
// filter-gradient time of one training step with each.
// `npm run bench -- conv-filter-gradient`
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../engine/backend/index';
import { filterGradientAsConv } from '../engine/backend/wasm-kernels/conv2d';
import { filterGradientByTaps, planFilterGemm, tapsPay } from '../engine/backend/wasm-kernels/filter-gemm';
import { gradientConvInfo } from '../engine/backend/wasm-kernels/geometry';
import { inferShapes } from '../engine/architecture/shapes';
import { Rng } from '../engine/util/rng';
import { ZooDataset, ZooName, zooTeacher } from '../engine/zoo';
import { writeResults } from './_results';
import { fastestSeconds } from './conv-rate';

const BATCH = 64;
const MODELS: { teacher: ZooName; dataset: ZooDataset }[] = [
  { teacher: 'resnet-mini', dataset: 'mnist' },
  { teacher: 'resnet-mini', dataset: 'cifar10' },
  { teacher: 'vgg-mini', dataset: 'mnist' },
];

interface ConvLayerShape {
  size: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

interface Row extends ConvLayerShape {
  gflop: number;
  tapsMs: number;
  convMs: number;
  picked: 'taps' | 'conv';
}

const key = (s: ConvLayerShape) => `${s.size}x${s.size}x${s.inChannels}->${s.outChannels} k${s.kernel} s${s.stride} p${s.padding}`;

function convLayers(teacher: ZooName, dataset: ZooDataset): ConvLayerShape[] {
  const spec = zooTeacher(teacher, dataset);
  const stats = inferShapes(spec).byId;
  return spec.layers.flatMap((layer) => {
    if (layer.type !== 'conv') return [];
    const [inChannels, size] = stats.get(layer.id)!.inShape;
    return [{ size, inChannels, outChannels: layer.out, kernel: layer.kernel, stride: layer.stride ?? 1, padding: layer.padding ?? 0 }];
  });
}

async function measure(shape: ConvLayerShape, rng: Rng): Promise<Row> {
  const backend = tf.backend() as BackendWasm;
  const random = (dims: number[]) => tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(dims) }, () => rng.normal()), dims);
  const x = random([BATCH, shape.size, shape.size, shape.inChannels]);
  const filterShape = [shape.kernel, shape.kernel, shape.inChannels, shape.outChannels];
  const info = gradientConvInfo('Conv2DBackpropFilter', x.shape, filterShape, { strides: shape.stride, pad: shape.padding }, false);
  const dy = random(info.outShape);
  const time = async (formulation: () => tf.TensorInfo) =>
    1000 * (await fastestSeconds(() => {
      backend.disposeData(formulation().dataId);
    }));
  const plan = planFilterGemm(info);
  const row: Row = {
    ...shape,
    gflop: (2 * BATCH * info.outHeight * info.outWidth * info.outChannels * shape.kernel * shape.kernel * shape.inChannels) / 1e9,
    tapsMs: await time(() => filterGradientByTaps(backend, x, dy, info, plan)),
    convMs: await time(() => filterGradientAsConv(backend, x, dy, info)),
    picked: tapsPay(plan, info) ? 'taps' : 'conv',
  };
  tf.dispose([x, dy]);
  return row;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const rng = new Rng(1);
  const rows = new Map<string, Row>();
  const models: { model: string; convMs: number; pickedMs: number }[] = [];
  const rate = (gflop: number, ms: number) => `${ms.toFixed(2).padStart(6)} ms ${((1000 * gflop) / ms).toFixed(1).padStart(5)} GF/s`;
  console.log(`wasm Conv2DBackpropFilter, batch ${BATCH}: GEMM per tap vs dilated conv`);
  for (const { teacher, dataset } of MODELS) {
    let convMs = 0;
    let pickedMs = 0;
    for (const shape of convLayers(teacher, dataset)) {
      if (!rows.has(key(shape))) {
        const row = await measure(shape, rng);
        rows.set(key(shape), row);
        console.log(`  ${key(shape).padEnd(28)} taps ${rate(row.gflop, row.tapsMs)}   conv ${rate(row.gflop, row.convMs)}   x${(row.convMs / row.tapsMs).toFixed(2)}  picks ${row.picked}`);
      }
      const row = rows.get(key(shape))!;
      convMs += row.convMs;
      pickedMs += row.picked === 'taps' ? row.tapsMs : row.convMs;
    }
    const model = `${teacher} ${dataset}`;
    models.push({ model, convMs, pickedMs });
    console.log(`${model}: filter gradients of one step ${convMs.toFixed(1)} ms as dilated convs, ${pickedMs.toFixed(1)} ms as picked (x${(convMs / pickedMs).toFixed(2)})`);
  }
  const path = writeResults('conv-filter-gradient', { batch: BATCH, layers: [...rows.values()], models, tensorsLeft: tf.memory().numTensors });
  console.log(`wrote ${path}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
