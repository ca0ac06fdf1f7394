// Latency on this machine's CPU: the ONNX export run by onnxruntime (onnxruntime-node ships its
// CPU binaries) with a fixed thread count and batch size. Graph optimisations up to 'extended'
// (batchnorm folded into the conv, relu fused): the 'all' level adds NCHWc layout changes at a
// network's edges, which were slower on small networks here and make a layer's time depend on
// where the network starts and ends, so that the per-layer table could not add them up.
import type * as Ort from 'onnxruntime-node';
import { ArchitectureSpec } from '../architecture/types';
import { encodeOnnx } from '../interop/onnx-codec';
import { OnnxModel } from '../interop/onnx-model';
import { errorMessage, UserError } from '../util/errors';
import { Latency } from '../cost/objective';
import type { LatencySettings } from '../../protocol';
import { LatencyMeter, QUIET_TRIES, quietestRound } from './meter';
import { timingModel } from './timing-model';

function loadOnnxruntime(): typeof Ort {
  try {
    // Required when first needed: runs that count params or MACs never load its native library.
    return require('onnxruntime-node') as typeof Ort;
  } catch (err) {
    throw new UserError(`measuring latency needs the onnxruntime-node package (npm install onnxruntime-node): ${errorMessage(err)}`);
  }
}

/**
 * What a timed run's milliseconds are. On one thread, the CPU time the process spent in the run:
 * on a machine shared with other work, a run longer than the scheduler's slice spends part of its
 * wall time waiting for the CPU, and short ones seldom do, so wall-clock medians of whole
 * networks and of their units do not add up (resnet-mini at batch 8 under a load of 16 on 2
 * cores: the whole network's wall median 2.5-4x its CPU time, its units' sum within 1.1-1.4x of
 * theirs; bench/latency-objective compares both). With more threads CPU time adds up every
 * thread's work, so it is the wall clock.
 */
export type LatencyClock = 'cpu' | 'wall';

export function clockFor(threads: number): LatencyClock {
  return threads === 1 ? 'cpu' : 'wall';
}

export class OnnxruntimeMeter implements LatencyMeter {
  readonly label: string;
  private readonly ort = loadOnnxruntime();

  constructor(
    private readonly settings: Pick<LatencySettings, 'batchSize' | 'threads' | 'warmup' | 'repeats'>,
    private readonly clock: LatencyClock = clockFor(settings.threads),
  ) {
    const { batchSize, threads } = settings;
    const timed = clock === 'cpu' ? 'CPU time per run' : 'wall time per run';
    this.label = `onnxruntime ${this.ort.env.versions.node ?? ''} cpu, ${threads} thread${threads === 1 ? '' : 's'}, batch ${batchSize}, ${timed}`;
  }

  async time(spec: ArchitectureSpec, signal?: AbortSignal): Promise<Latency> {
    const model = await timingModel(spec);
    // The process's first sessions run slower (code paged in, allocator growing): warm it once.
    this.warmedUp ??= this.run(model, 1, signal);
    await this.warmedUp;
    return this.run(model, QUIET_TRIES, signal);
  }

  private warmedUp: Promise<Latency> | undefined;

  /** The quietest of `tries` rounds of timed runs after the warm-up, in one session. */
  private async run(model: OnnxModel, tries: number, signal?: AbortSignal): Promise<Latency> {
    const session = await this.ort.InferenceSession.create(encodeOnnx(model), {
      executionProviders: ['cpu'],
      intraOpNumThreads: this.settings.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'extended',
      logSeverityLevel: 3,
    });
    try {
      const feeds = Object.fromEntries(model.graph.inputs.map((input) => [input.name, this.inputTensor(input.dims)]));
      for (let i = 0; i < this.settings.warmup; i++) await session.run(feeds);
      const round = async () => {
        const samples: number[] = [];
        for (let i = 0; i < this.settings.repeats; i++) {
          signal?.throwIfAborted();
          if (this.clock === 'cpu') {
            const start = process.cpuUsage();
            await session.run(feeds);
            const { user, system } = process.cpuUsage(start);
            samples.push((user + system) / 1000);
          } else {
            const start = process.hrtime.bigint();
            await session.run(feeds);
            samples.push(Number(process.hrtime.bigint() - start) / 1e6);
          }
        }
        return samples;
      };
      return await quietestRound(round, tries, signal);
    } finally {
      await session.release();
    }
  }

  /** Values in [-1, 1): timing does not depend on them, but denormals and NaNs would skew it. */
  private inputTensor(dims: (number | string)[]): Ort.Tensor {
    const shape = dims.map((d) => (typeof d === 'number' ? d : this.settings.batchSize));
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = ((i * 7919) % 2000) / 1000 - 1;
    return new this.ort.Tensor('float32', values, shape);
  }
}
