// Latency on this machine's CPU: the ONNX export run by onnxruntime (onnxruntime-node ships its
// CPU binaries) with a fixed thread count and batch size. Graph optimisations up to 'extended'
// (batchnorm folded into the conv, relu fused): the 'all' level adds NCHWc layout changes at a
// network's edges, which were slower on small networks here and make a layer's time depend on
// where the network starts and ends, so that the per-layer table could not add them up.
import type * as Ort from 'onnxruntime-node';
import { encodeOnnx } from '../../interop/onnx-codec';
import { OnnxModel } from '../../interop/onnx-model';
import { UserError } from '../../util/errors';
import { Latency } from '../objective';
import { LatencySettings } from './settings';
import { LatencyMeter, summarise } from './meter';

function loadOnnxruntime(): typeof Ort {
  try {
    // Required when first needed: runs that count params or MACs never load its native library.
    return require('onnxruntime-node') as typeof Ort;
  } catch (err) {
    throw new UserError(`measuring latency needs the onnxruntime-node package (npm install onnxruntime-node): ${(err as Error).message}`);
  }
}

export class OnnxruntimeMeter implements LatencyMeter {
  readonly label: string;
  private readonly ort = loadOnnxruntime();

  constructor(private readonly settings: Pick<LatencySettings, 'batchSize' | 'threads' | 'warmup' | 'repeats'>) {
    const { batchSize, threads } = settings;
    this.label = `onnxruntime ${this.ort.env.versions.node ?? ''} cpu, ${threads} thread${threads === 1 ? '' : 's'}, batch ${batchSize}`;
  }

  async time(model: OnnxModel, signal?: AbortSignal): Promise<Latency> {
    // The process's first sessions run slower (code paged in, allocator growing): warm it once.
    this.warmedUp ??= this.run(model, this.settings.warmup + 4 * this.settings.repeats, signal);
    await this.warmedUp;
    return summarise(await this.run(model, this.settings.repeats, signal));
  }

  private warmedUp: Promise<number[]> | undefined;

  /** Times `repeats` runs after the warm-up runs, in ms. */
  private async run(model: OnnxModel, repeats: number, signal?: AbortSignal): Promise<number[]> {
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
      const samples: number[] = [];
      for (let i = 0; i < repeats; i++) {
        signal?.throwIfAborted();
        const start = process.hrtime.bigint();
        await session.run(feeds);
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      return samples;
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
