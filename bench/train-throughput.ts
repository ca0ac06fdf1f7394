// Training throughput of engine/train on each backend that loads here: images/s and effective
// GFLOP/s (3 x forward MACs x 2 per image: forward, input gradient, filter gradient) for the mini
// teachers and a 32x32 ResNet-style net, in 1 worker and in N workers at once, next to the
// backend's raw conv2d forward GFLOP/s measured in the same run; then the PyTorch worker pool
// (engine/evaluation/pytorch) on the same nets and ResNet-18, next to a bare PyTorch loop on the
// same net in the same run (bench/pytorch-rates.ts: PYTORCH_ROUNDS interleaved rounds, each timing
// a third of the seconds per measurement, medians), and its ratio to the wasm rows.
// `npm run bench -- train-throughput [seconds per measurement] [backends, e.g. wasm,pytorch]`
import { availableParallelism, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BackendName, initBackend, isGpuBackend } from '../engine/backend';
import { Dataset } from '../engine/data';
import { Network } from '../engine/model/network';
import { disposeWeights, initialWeights } from '../engine/model/weights';
import { train } from '../engine/train/loop';
import { Rng } from '../engine/util/rng';
import { ZooDataset, ZooName, zooTeacher } from '../engine/zoo';
import { writeResults } from './_results';
import { convForwardGflops } from './conv-rate';
import { findPython } from '../engine/evaluation/pytorch/python';
import { PytorchRound, pytorchRates, syntheticData } from './pytorch-rates';

interface Model {
  label: string;
  teacher: ZooName;
  dataset: ZooDataset;
}

const MODELS: Model[] = [
  { label: 'resnet-mini 28x28x1', teacher: 'resnet-mini', dataset: 'mnist' },
  { label: 'vgg-mini 28x28x1', teacher: 'vgg-mini', dataset: 'mnist' },
  { label: 'resnet-mini 32x32x3 (ResNet-style)', teacher: 'resnet-mini', dataset: 'cifar10' },
];

interface Job {
  backend: BackendName;
  model: Model;
  batch: number;
  seconds: number;
}

interface Measured {
  imagesPerSecond: number;
  macsPerImage: number;
}

async function epochRate(net: Network, data: Dataset, batch: number, rng: Rng): Promise<number> {
  const outcome = await train(net, data, { epochs: 1, batchSize: batch, learningRate: 1e-3, weightDecay: 5e-4, objective: { kind: 'cross-entropy' }, rng });
  if (outcome.best) disposeWeights(outcome.best);
  return outcome.epochs[0].imagesPerSecond;
}

/** Cross-entropy training with Adam through engine/train's loop, on random data. */
async function measure(job: Job): Promise<Measured> {
  await initBackend(job.backend);
  const spec = zooTeacher(job.model.teacher, job.model.dataset);
  const rng = new Rng(1);
  const weights = initialWeights(spec, rng);
  const net = new Network(spec, weights);
  disposeWeights(weights);
  // One batch first: kernel setup, and an estimate of how many batches fill the time.
  const warm = await epochRate(net, syntheticData(spec, job.batch, rng), job.batch, rng);
  const batches = Math.max(2, Math.round((job.seconds * warm) / job.batch));
  const imagesPerSecond = await epochRate(net, syntheticData(spec, batches * job.batch, rng), job.batch, rng);
  const macsPerImage = net.macs;
  net.dispose();
  return { imagesPerSecond, macsPerImage };
}

function inWorker(job: Job): Promise<Measured> {
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(__filename)});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: Measured) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

interface Row {
  backend: string;
  model: string;
  batch: number;
  forwardMFlopsPerImage: number;
  workers: number;
  imagesPerSecond: number;
  effectiveGflops: number;
  /** Training GFLOP/s over the backend's conv2d forward GFLOP/s (per worker). */
  ofConvForward: number;
  /** N workers' total over one worker's. */
  speedup?: number;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 8);
  const loadBefore = loadavg();
  const only = process.argv[3]?.split(',');
  const cores = availableParallelism();
  const rows: Row[] = [];
  const convRates: Record<string, number> = {};
  for (const backend of ['tensorflow', 'webgpu', 'wasm', 'cpu'] as BackendName[]) {
    if (only && !only.includes(backend)) continue;
    let name: string = backend;
    try {
      await initBackend(backend);
      // Asked for by name, webgpu also runs on a software adapter (llvmpipe): measured, and named so.
      if (backend === 'webgpu' && !isGpuBackend(backend)) name = 'webgpu (software)';
    } catch (err) {
      process.stderr.write(`${backend}: not available (${(err as Error).message.split('\n')[0]})\n`);
      continue;
    }
    // The pure-JS backend is two orders of magnitude slower: a few images show its rate.
    const slow = backend === 'cpu';
    const batch = slow ? 4 : 64;
    try {
      const conv = await convForwardGflops(backend);
      convRates[name] = conv;
      for (const model of MODELS) {
        const job: Job = { backend, model, batch, seconds: slow ? 1 : seconds };
        const single = await inWorker(job);
        const counts = slow || cores < 2 ? [1] : [1, cores];
        for (const workers of counts) {
          const measured = workers === 1 ? [single] : await Promise.all(Array.from({ length: workers }, () => inWorker(job)));
          const imagesPerSecond = measured.reduce((s, m) => s + m.imagesPerSecond, 0);
          const effectiveGflops = (imagesPerSecond * 3 * 2 * single.macsPerImage) / 1e9;
          rows.push({
            backend: name, model: model.label, batch, workers,
            forwardMFlopsPerImage: (2 * single.macsPerImage) / 1e6,
            imagesPerSecond, effectiveGflops,
            ofConvForward: effectiveGflops / workers / conv,
            ...(workers > 1 ? { speedup: imagesPerSecond / single.imagesPerSecond } : {}),
          });
          printRow(rows[rows.length - 1]);
        }
      }
    } catch (err) {
      // e.g. webgpu in Node where a step reads a tensor synchronously (dataSync): no canvas to read through.
      process.stderr.write(`${name}: failed (${(err as Error).message.split('\n')[0]})\n`);
    }
  }
  const pytorch = !only || only.includes('pytorch') ? await pytorchRows(rows, seconds, cores) : [];
  const path = writeResults('train-throughput', { secondsPerMeasurement: seconds, loadAverage: { before: loadBefore, after: loadavg() }, convForwardGflops: convRates, tfjs: tf.version_core, rows, pytorch });
  process.stdout.write(`conv2d forward GFLOP/s: ${JSON.stringify(convRates)}\nwrote ${path}\n`);
}

interface PytorchRow {
  model: string;
  workers: number;
  threadsPerWorker: number;
  torch: string;
  workerImagesPerSecond: number;
  /** The bare loop with the worker's allocator setting: the like-for-like yardstick. */
  bareLoopImagesPerSecond: number;
  workerOverBareLoop: number;
  /** The bare loop with malloc as a plain script has it. */
  bareLoopDefaultAllocatorImagesPerSecond: number;
  workerOverBareLoopDefaultAllocator: number;
  rounds: PytorchRound[];
  /** Over the wasm row of the same model and worker count in this run, when there is one. */
  workerOverWasm?: number;
}

const PYTORCH_MODELS: Model[] = [...MODELS, { label: 'ResNet-18 32x32x3', teacher: 'resnet18', dataset: 'cifar10' }];
const PYTORCH_ROUNDS = 3;

async function pytorchRows(rows: Row[], seconds: number, cores: number): Promise<PytorchRow[]> {
  const found = await findPython({});
  if (!found.ok) {
    process.stderr.write(`pytorch: not available (${found.reason})\n`);
    return [];
  }
  // The engine makes the initial weights it hands the workers with tfjs.
  await initBackend('wasm');
  const out: PytorchRow[] = [];
  for (const model of PYTORCH_MODELS) {
    const counts = cores < 2 ? [1] : [1, cores];
    const rates = await pytorchRates(zooTeacher(model.teacher, model.dataset), counts, { torch: found.info, batch: 64, seconds: seconds / PYTORCH_ROUNDS, rounds: PYTORCH_ROUNDS, device: 'cpu', autocast: true });
    for (const r of rates) {
      const wasm = rows.find((w) => w.backend === 'wasm' && w.model === model.label && w.workers === r.workers);
      const row: PytorchRow = {
        model: model.label, workers: r.workers, threadsPerWorker: 1, torch: found.info.torch,
        workerImagesPerSecond: r.worker, bareLoopImagesPerSecond: r.bare, workerOverBareLoop: r.worker / r.bare,
        bareLoopDefaultAllocatorImagesPerSecond: r.bareDefaultAllocator, workerOverBareLoopDefaultAllocator: r.worker / r.bareDefaultAllocator, rounds: r.rounds,
        ...(wasm ? { workerOverWasm: r.worker / wasm.imagesPerSecond } : {}),
      };
      out.push(row);
      const cells = [
        'pytorch', model.label.padEnd(36), `${r.workers}w`, `worker ${r.worker.toFixed(1)} img/s`.padStart(22), `bare loop ${r.bare.toFixed(1)} img/s`.padStart(25),
        `x${row.workerOverBareLoop.toFixed(2)} of bare`,
        `plain malloc ${r.bareDefaultAllocator.toFixed(1)} img/s (x${row.workerOverBareLoopDefaultAllocator.toFixed(2)})`, row.workerOverWasm ? `x${row.workerOverWasm.toFixed(2)} of wasm` : '',
      ];
      process.stdout.write(cells.join('  ') + '\n');
    }
  }
  return out;
}

function printRow(r: Row): void {
  const cells = [
    r.backend.padEnd(6), r.model.padEnd(36), `b${r.batch}`.padEnd(4), `${r.workers}w`, `${r.forwardMFlopsPerImage.toFixed(1)} MFLOP/img`.padStart(16),
    `${r.imagesPerSecond.toFixed(1)} img/s`.padStart(13), `${r.effectiveGflops.toFixed(2)} GF/s`.padStart(11),
    `${(100 * r.ofConvForward).toFixed(0)}% of conv fwd/worker`.padStart(24), r.speedup ? `x${r.speedup.toFixed(2)}` : '',
  ];
  process.stdout.write(cells.join('  ') + '\n');
}

if (!isMainThread) {
  void measure(workerData as Job).then((m) => parentPort!.postMessage(m));
} else if (require.main === module || process.argv[1] === __filename) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
