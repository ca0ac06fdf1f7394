// Training throughput of the PyTorch worker pool (engine/evaluation/pytorch) next to a bare
// PyTorch loop on the same net in the same run: the worker trains a synthetic dataset in the
// run's format (batch order, gathering from the memory-mapped split, Adam, cross-entropy), the
// second epoch of each fit timed (the first pays for the new candidate's setup); the bare loop
// (bench/pytorch/bare_loop.py) trains the module `esnac export --to pytorch` writes, on random
// batches already in memory, warmed up before it is timed, once with the worker's allocator
// setting (the like-for-like yardstick) and once with malloc as a plain script has it. N workers
// and N bare loops run at once. The three are measured in interleaved rounds (the order turning
// each round) and each reported as its median over the rounds: on a shared machine the load
// drifts within a minute, and the first measurement of a configuration used to be its slowest.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface, Interface } from 'node:readline';
import { ArchitectureSpec } from '../engine/architecture/types';
import { Dataset } from '../engine/data';
import { writeDatasetFolder } from '../engine/evaluation/inputs';
import { PytorchEvaluator } from '../engine/evaluation/pytorch/evaluator';
import { PytorchPool } from '../engine/evaluation/pytorch/pool';
import { TorchInfo, trainerRoot } from '../engine/evaluation/pytorch/python';
import { exportPytorch } from '../engine/interop/pytorch-export';
import { Rng } from '../engine/util/rng';

/** Images/s of one round: the pool's over all workers, and the bare loops' in the same configuration. */
export interface PytorchRound {
  worker: number;
  bare: number;
  bareDefaultAllocator: number;
}

export interface PytorchRate extends PytorchRound {
  workers: number;
  /** The fields above are the medians of these. */
  rounds: PytorchRound[];
}

export interface PytorchBenchOptions {
  torch: TorchInfo;
  batch: number;
  /** Seconds per timed window (at least MIN_STEPS steps), each round. */
  seconds: number;
  rounds: number;
  /** 'cpu' or 'cuda'; CUDA runs one worker (one GPU). */
  device: 'cpu' | 'cuda';
  autocast: boolean;
}

/** Steps a timed window has at least, for nets so slow that `seconds` holds only one or two. */
const MIN_STEPS = 2;
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

type Allocator = 'worker' | 'default';

/** A bare loop's process, warm and waiting for windows to time (bench/pytorch/bare_loop.py). */
class BareLoop {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    lines: Interface,
  ) {
    this.lines = lines[Symbol.asyncIterator]();
  }

  static async start(python: string, module: string, o: PytorchBenchOptions, threads: number, allocator: Allocator): Promise<BareLoop> {
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), PYTHONPATH: [trainerRoot(), process.env.PYTHONPATH].filter(Boolean).join(delimiter) };
    const child = spawn(python, [join(__dirname, 'pytorch', 'bare_loop.py'), module, String(o.batch), String(threads), o.device, String(o.autocast), allocator], { env });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const loop = new BareLoop(child, createInterface({ input: child.stdout }));
    const ready = await loop.lines.next();
    if (ready.done) throw new Error(`the bare loop ended before it was warm: ${stderr.join('').slice(-500)}`);
    return loop;
  }

  async time(seconds: number): Promise<number> {
    this.child.stdin.write(JSON.stringify({ seconds, minSteps: MIN_STEPS }) + '\n');
    const line = await this.lines.next();
    if (line.done) throw new Error('the bare loop ended during a window');
    return (JSON.parse(line.value) as { imagesPerSecond: number }).imagesPerSecond;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The worker pool's and the bare loops' images/s for `spec` with each worker count. */
export async function pytorchRates(spec: ArchitectureSpec, counts: number[], o: PytorchBenchOptions): Promise<PytorchRate[]> {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-bench-pytorch-'));
  try {
    const module = join(dir, 'net.py');
    writeFileSync(module, exportPytorch(spec).source);
    const rates: PytorchRate[] = [];
    for (const workers of counts) {
      const threads = o.device === 'cuda' ? 0 : 1;
      const start = (allocator: Allocator) => Promise.all(Array.from({ length: workers }, () => BareLoop.start(o.torch.python, module, o, threads, allocator)));
      const [worker, plain] = await Promise.all([start('worker'), start('default')]);
      const bare = { worker, default: plain };
      let evaluator: PytorchEvaluator | undefined;
      try {
        const time = async (loops: BareLoop[]) => sum(await Promise.all(loops.map((l) => l.time(o.seconds))));
        const rounds: PytorchRound[] = [];
        let fits = 0;
        const trainWorkers = async (estimate: number) => {
          if (!evaluator) {
            // Enough images for `seconds` per epoch at the bare loop's rate per worker.
            const images = Math.max(3 * o.batch, Math.round((o.seconds * estimate) / workers / o.batch) * o.batch);
            const data = join(dir, `data-${workers}`);
            writeDatasetFolder(syntheticData(spec, images, new Rng(1)), data);
            evaluator = new PytorchEvaluator(await PytorchPool.start({ python: o.torch.python, dataset: data, workers, threads, gpus: o.device === 'cuda' ? 1 : 0, autocast: o.autocast }));
          }
          const second: number[] = [];
          const fit = fits++;
          const results = await Promise.all(
            Array.from({ length: workers }, (_, i) =>
              evaluator!.fit({ spec, out: join(dir, `out-${workers}-${fit}-${i}`), epochs: 2, batchSize: o.batch, learningRate: 1e-3, weightDecay: 5e-4, seed: i }, undefined, (e) => {
                if (e.epoch === 2) second.push(e.imagesPerSecond);
              }),
            ),
          );
          for (const r of results) if (r.status === 'failed') throw new Error(`the PyTorch worker failed: ${r.reason}`);
          return sum(second);
        };
        for (let r = 0; r < o.rounds; r++) {
          const round: Partial<PytorchRound> = {};
          // The first round begins with the bare loop, whose rate sizes the worker's epoch.
          const order: (keyof PytorchRound)[] = ['bare', 'bareDefaultAllocator', 'worker'];
          for (let k = 0; k < order.length; k++) {
            const what = order[(k + r) % order.length];
            round[what] = what === 'worker' ? await trainWorkers(round.bare ?? rounds[0].bare) : await time(what === 'bare' ? bare.worker : bare.default);
          }
          rounds.push(round as PytorchRound);
        }
        rates.push({
          workers,
          worker: median(rounds.map((r) => r.worker)),
          bare: median(rounds.map((r) => r.bare)),
          bareDefaultAllocator: median(rounds.map((r) => r.bareDefaultAllocator)),
          rounds,
        });
      } finally {
        await (evaluator as PytorchEvaluator | undefined)?.close();
        await Promise.all([...bare.worker, ...bare.default].map((l) => l.close()));
      }
    }
    return rates;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
