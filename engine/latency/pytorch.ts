// Latency on the PyTorch trainer's device: a worker of the trainer's own (trainers/torch, started
// without a dataset: it only times) runs the spec's forward pass in eval mode without autograd,
// on a random batch, `warmup` times untimed and then `repeats` times timed: by CUDA events on a
// GPU, by time.perf_counter on the CPU (trainers/torch/esnac_trainer/timing.py). The samples come
// back and are summarised here as onnxruntime's are: the median, half the interquartile range,
// a noisy round taken again.
import { ArchitectureSpec } from '../architecture/types';
import { Latency } from '../cost/objective';
import { PytorchPool } from '../evaluation/pytorch/pool';
import { TorchInfo } from '../evaluation/pytorch/python';
import { UserError } from '../util/errors';
import type { LatencySettings } from '../../protocol';
import { LatencyMeter, QUIET_TRIES, quietestRound } from './meter';

export class PytorchMeter implements LatencyMeter {
  private constructor(
    private readonly pool: PytorchPool,
    private readonly settings: Pick<LatencySettings, 'batchSize' | 'warmup' | 'repeats'>,
    readonly label: string,
  ) {}

  /** Starts the timing worker: on the first GPU torch sees, else on the CPU with the settings' threads. */
  static async start(torch: TorchInfo, settings: Pick<LatencySettings, 'batchSize' | 'threads' | 'warmup' | 'repeats'>, autocast: boolean): Promise<PytorchMeter> {
    const gpus = torch.gpus > 0 ? 1 : 0;
    const pool = await PytorchPool.start({ python: torch.python, workers: 1, threads: settings.threads, gpus, autocast });
    const how = gpus > 0 ? 'CUDA events' : 'perf_counter';
    return new PytorchMeter(pool, settings, `${pool.detail}, batch ${settings.batchSize}, ${how}`);
  }

  async time(spec: ArchitectureSpec, signal?: AbortSignal): Promise<Latency> {
    const { batchSize, warmup, repeats } = this.settings;
    // Each round in one job: the worker builds the network and warms it up before timing.
    const round = async () => {
      const result = await this.pool.time({ spec, batchSize, warmup, repeats }, signal);
      if (result.status !== 'ok') throw new UserError(`the PyTorch latency worker could not time ${spec.name}: ${result.status === 'failed' ? result.reason : 'cancelled'}`);
      return result.samples;
    };
    return quietestRound(round, QUIET_TRIES, signal);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
