// Latency on this machine's CPU: the ONNX export run by onnxruntime (onnxruntime-node ships its
// CPU binaries) with a fixed thread count and batch size. Graph optimisations up to 'extended'
// (batchnorm folded into the conv, relu fused): the 'all' level adds NCHWc layout changes at a
// network's edges, which were slower on small networks here and make a layer's time depend on
// where the network starts and ends, so that the per-layer table could not add them up.
import type * as Ort from 'onnxruntime-node';
import { encodeOnnx } from '../interop/onnx-codec';
import { OnnxModel } from '../interop/onnx-model';
import { errorMessage, UserError } from '../util/errors';
import { Latency } from '../cost/objective';
import type { LatencySettings } from '../../protocol';
import { LatencyMeter, summarise } from './meter';

function loadOnnxruntime(): typeof Ort {
  try {
    // Required when first needed: runs that count params or MACs never load its native library.
    return require('onnxruntime-node') as typeof Ort;
  } catch (err) {
    throw new UserError(`measuring latency needs the onnxruntime-node package (npm install onnxruntime-node): ${errorMessage(err)}`);
  }
}

/** A round of timed runs is quiet when its noise is under this fraction of its median. */
const QUIET = 0.25;
const QUIET_TRIES = 3;

export class OnnxruntimeMeter implements LatencyMeter {
  readonly label: string;
  private readonly ort = loadOnnxruntime();

  constructor(private readonly settings: Pick<LatencySettings, 'batchSize' | 'threads' | 'warmup' | 'repeats'>) {
    const { batchSize, threads } = settings;
    this.label = `onnxruntime ${this.ort.env.versions.node ?? ''} cpu, ${threads} thread${threads === 1 ? '' : 's'}, batch ${batchSize}`;
  }

  async time(model: OnnxModel, signal?: AbortSignal): Promise<Latency> {
    // The process's first sessions run slower (code paged in, allocator growing): warm it once.
    this.warmedUp ??= this.run(model, 1, signal);
    await this.warmedUp;
    return this.run(model, QUIET_TRIES, signal);
  }

  private warmedUp: Promise<Latency> | undefined;

  /**
   * The latency of `tries` rounds of timed runs after the warm-up, in one session: the first
   * round whose noise is under a quarter of its median, else the quietest. A machine shared with
   * other work slows some rounds; the repeats are then taken again rather than reported noisy.
   */
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
      let quietest: Latency | undefined;
      for (let t = 0; t < tries && !(quietest && quietest.noiseMs < QUIET * quietest.ms); t++) {
        const samples: number[] = [];
        for (let i = 0; i < this.settings.repeats; i++) {
          signal?.throwIfAborted();
          const start = process.hrtime.bigint();
          await session.run(feeds);
          samples.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
        const latency = summarise(samples);
        if (!quietest || latency.noiseMs / latency.ms < quietest.noiseMs / quietest.ms) quietest = latency;
      }
      return quietest!;
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
