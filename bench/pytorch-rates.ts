// Training throughput of the PyTorch worker pool (engine/evaluation/pytorch) next to a bare
// PyTorch loop on the same net in the same run: the worker trains a synthetic dataset in the
// run's format (batch order, gathering from the memory-mapped split, Adam, cross-entropy), its
// second epoch timed; the bare loop (bench/pytorch/bare_loop.py) trains the module `esnac export
// --to pytorch` writes, on one batch already in memory. N workers and N bare loops run at once.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ArchitectureSpec } from '../engine/architecture/types';
import { Dataset } from '../engine/data';
import { writeDatasetFolder } from '../engine/evaluation/inputs';
import { PytorchEvaluator } from '../engine/evaluation/pytorch/evaluator';
import { PytorchPool } from '../engine/evaluation/pytorch/pool';
import { TorchInfo } from '../engine/evaluation/pytorch/python';
import { exportPytorch } from '../engine/interop/pytorch-export';
import { Rng } from '../engine/util/rng';

const run = promisify(execFile);

export interface PytorchRate {
  workers: number;
  /** The pool's images/s over all workers, and the bare loops' in the same configuration. */
  worker: number;
  bare: number;
}

export interface PytorchBenchOptions {
  torch: TorchInfo;
  batch: number;
  seconds: number;
  /** 'cpu' or 'cuda'; CUDA runs one worker (one GPU). */
  device: 'cpu' | 'cuda';
  autocast: boolean;
}

/** Random images and labels for a spec: what a throughput measurement trains on. */
export function syntheticData(spec: ArchitectureSpec, count: number, rng: Rng): Dataset {
  const { channels, height, width } = spec.input;
  const split = (n: number) => ({
    pixels: Float32Array.from({ length: n * channels * height * width }, () => rng.normal()),
    scale: 1,
    labels: Int32Array.from({ length: n }, () => rng.int(0, spec.classes - 1)),
    count: n,
  });
  return {
    name: 'synthetic', input: spec.input, classes: spec.classes, train: split(count), validation: split(1),
    normalisation: { rule: 'none', mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) },
    augment: false, source: 'random', splitRule: 'random', notes: [],
  };
}

async function bareRate(python: string, module: string, o: PytorchBenchOptions, threads: number): Promise<number> {
  const { stdout } = await run(python, [join(__dirname, 'pytorch', 'bare_loop.py'), module, String(o.batch), String(o.seconds), String(threads), o.device, String(o.autocast)], { env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { imagesPerSecond: number }).imagesPerSecond;
}

/** The worker pool's and the bare loop's images/s for `spec` with each worker count. */
export async function pytorchRates(spec: ArchitectureSpec, counts: number[], o: PytorchBenchOptions): Promise<PytorchRate[]> {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-bench-pytorch-'));
  try {
    const module = join(dir, 'net.py');
    writeFileSync(module, exportPytorch(spec).source);
    const rates: PytorchRate[] = [];
    for (const workers of counts) {
      const threads = o.device === 'cuda' ? 0 : 1;
      const bare = (await Promise.all(Array.from({ length: workers }, () => bareRate(o.torch.python, module, o, threads)))).reduce((a, b) => a + b, 0);
      // Enough images for `seconds` per epoch at the bare loop's rate per worker.
      const images = Math.max(4 * o.batch, Math.round((o.seconds * bare) / workers / o.batch) * o.batch);
      const data = join(dir, `data-${workers}`);
      writeDatasetFolder(syntheticData(spec, images, new Rng(1)), data);
      const pool = await PytorchPool.start({ python: o.torch.python, dataset: data, workers, threads, gpus: o.device === 'cuda' ? 1 : 0, autocast: o.autocast });
      const evaluator = new PytorchEvaluator(pool);
      try {
        // The second epoch's rate: the first one pays for setup (allocators, oneDNN or cuDNN plans).
        const second: number[] = [];
        const results = await Promise.all(
          Array.from({ length: workers }, (_, i) =>
            evaluator.fit({ spec, out: join(dir, `out-${workers}-${i}`), epochs: 2, batchSize: o.batch, learningRate: 1e-3, weightDecay: 5e-4, seed: i }, undefined, (e) => {
              if (e.epoch === 2) second.push(e.imagesPerSecond);
            }),
          ),
        );
        for (const r of results) if (r.status === 'failed') throw new Error(`the PyTorch worker failed: ${r.reason}`);
        rates.push({ workers, worker: second.reduce((a, b) => a + b, 0), bare });
      } finally {
        await evaluator.close();
      }
    }
    return rates;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
