// Raw convolution throughput of a backend in GFLOP/s (2 x multiply-adds per second), and on wasm
// each gradient kernel of ours against the stock one where wasm has one.
// Usage: node --import tsx bench/conv-rate.ts [wasm|cpu|tensorflow]   (default: wasm)
import * as tf from '@tensorflow/tfjs-core';
import { BackendName, initBackend } from '../engine/backend/index';
import { stockWasmKernel } from '../engine/backend/wasm-kernels/index';
import { Rng } from '../engine/util/rng';

export interface ConvShape {
  batch: number;
  size: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
}

/** A middle layer of a small CIFAR ResNet at training batch size. */
export const REPRESENTATIVE_CONV: ConvShape = { batch: 64, size: 16, inChannels: 32, outChannels: 32, kernel: 3, stride: 1 };

const MIN_SECONDS = 1;
const MIN_RUNS = 3;

function convFlops(s: ConvShape): number {
  const outSize = Math.ceil(s.size / s.stride);
  return 2 * s.batch * outSize * outSize * s.outChannels * s.kernel * s.kernel * s.inChannels;
}

/**
 * Fastest seconds of `run` after one warm-up, over at least MIN_RUNS runs and MIN_SECONDS: the
 * fastest run is the one least disturbed by other processes on a shared machine.
 */
export async function fastestSeconds(run: () => void | Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MIN_RUNS || performance.now() - start < MIN_SECONDS * 1000) {
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
  }
  return Math.min(...times);
}

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal()), shape);
}

interface ConvTensors {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  dy: tf.Tensor4D;
}

function makeConvTensors(s: ConvShape): ConvTensors {
  const rng = new Rng(1);
  const outSize = Math.ceil(s.size / s.stride);
  return {
    x: randomTensor(rng, [s.batch, s.size, s.size, s.inChannels]) as tf.Tensor4D,
    filter: randomTensor(rng, [s.kernel, s.kernel, s.inChannels, s.outChannels]) as tf.Tensor4D,
    dy: randomTensor(rng, [s.batch, outSize, outSize, s.outChannels]) as tf.Tensor4D,
  };
}

/** Times `op`, reading the result back (asynchronously: WebGPU cannot read synchronously) so the work is done. */
async function gflopsOf(flops: number, op: () => tf.Tensor): Promise<number> {
  const seconds = await fastestSeconds(async () => {
    const out = op();
    await out.data();
    out.dispose();
  });
  return flops / seconds / 1e9;
}

/**
 * conv2d forward GFLOP/s of `backend` on `shape` ('same' padding). Makes `backend` the current
 * tfjs backend (through initBackend) and leaves it so.
 */
export async function convForwardGflops(backend: BackendName, shape: ConvShape = REPRESENTATIVE_CONV): Promise<number> {
  await initBackend(backend);
  const t = makeConvTensors(shape);
  try {
    return await gflopsOf(convFlops(shape), () => tf.conv2d(t.x, t.filter, shape.stride, 'same'));
  } finally {
    tf.dispose([t.x, t.filter, t.dy]);
  }
}

/** GFLOP/s of one kernel function called directly (to time a stock kernel we replaced). */
async function kernelGflops(flops: number, kernel: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Promise<number> {
  const backend = tf.backend();
  const seconds = await fastestSeconds(() => {
    const out = kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    backend.disposeData(out.dataId);
  });
  return flops / seconds / 1e9;
}

interface Row {
  kernel: string;
  ours?: number;
  stock?: number;
}

/** Forward, filter gradient and input gradient of `shape` on wasm, ours against stock. */
export async function wasmConvGradientRates(shape: ConvShape = REPRESENTATIVE_CONV): Promise<Row[]> {
  await initBackend('wasm');
  const t = makeConvTensors(shape);
  const flops = convFlops(shape);
  const common: tf.NamedAttrMap = { strides: shape.stride, pad: 'same', dataFormat: 'NHWC' };
  const time = async (name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Promise<Row> => {
    const stock = stockWasmKernel(name);
    return {
      kernel: name,
      ours: await kernelGflops(flops, tf.getKernel(name, 'wasm')!, inputs, { ...common, ...attrs }),
      ...(stock ? { stock: await kernelGflops(flops, stock, inputs, { ...common, ...attrs }) } : {}),
    };
  };
  try {
    return [
      { kernel: tf.Conv2D, stock: await gflopsOf(flops, () => tf.conv2d(t.x, t.filter, shape.stride, 'same')) },
      await time(tf.Conv2DBackpropFilter, { x: t.x, dy: t.dy }, { filterShape: t.filter.shape }),
      await time(tf.Conv2DBackpropInput, { dy: t.dy, filter: t.filter }, { inputShape: t.x.shape }),
    ];
  } finally {
    tf.dispose([t.x, t.filter, t.dy]);
  }
}

async function main(): Promise<void> {
  const backend = (process.argv[2] ?? 'wasm') as BackendName;
  const s = REPRESENTATIVE_CONV;
  const label = `batch ${s.batch}, ${s.size}x${s.size}x${s.inChannels} -> ${s.outChannels}, ${s.kernel}x${s.kernel}, stride ${s.stride}`;
  if (backend !== 'wasm') {
    console.log(`${backend}: conv2d forward ${(await convForwardGflops(backend)).toFixed(2)} GFLOP/s (${label})`);
    return;
  }
  console.log(`wasm, ${label}: GFLOP/s`);
  for (const row of await wasmConvGradientRates()) {
    const rate = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2)).padStart(7);
    console.log(`  ${row.kernel.padEnd(22)} ours ${rate(row.ours)}   stock ${rate(row.stock)}`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
