// A latency meter times a network: repeated runs after a warm-up, the median as the latency and
// half the interquartile range as its noise. Meters: onnxruntime on this machine's CPU
// (./onnxruntime.ts) and the user's command for another device (./command.ts), both given the
// spec's ONNX export, and a PyTorch worker on the trainer's device (./pytorch.ts: CUDA events on
// a GPU), given the spec.
import { ArchitectureSpec } from '../architecture/types';
import { Latency } from '../cost/objective';

export interface LatencyMeter {
  /** Times one network (its structure: weights do not change the time); rejects with a UserError saying why it could not. */
  time(spec: ArchitectureSpec, signal?: AbortSignal): Promise<Latency>;
  /** What it measures on, for run records ("onnxruntime 1.31.1 cpu, 1 thread, batch 1"). */
  readonly label: string;
  /** Ends what the meter started (a worker process). */
  close?(): Promise<void>;
}

/** A round of timed runs is quiet when its noise is under this fraction of its median. */
const QUIET = 0.25;
export const QUIET_TRIES = 3;

/**
 * Of up to `tries` rounds of timed runs (`round` gives one round's milliseconds), the first whose
 * noise is under a quarter of its median, else the quietest. A machine shared with other work
 * slows some rounds; the repeats are then taken again rather than reported noisy.
 */
export async function quietestRound(round: () => Promise<number[]>, tries: number, signal?: AbortSignal): Promise<Latency> {
  let quietest: Latency | undefined;
  for (let t = 0; t < tries && !(quietest && quietest.noiseMs < QUIET * quietest.ms); t++) {
    signal?.throwIfAborted();
    const latency = summarise(await round());
    if (!quietest || latency.noiseMs / latency.ms < quietest.noiseMs / quietest.ms) quietest = latency;
  }
  return quietest!;
}

/** Median and half the interquartile range of timed runs (ms). */
export function summarise(samples: number[]): Latency {
  if (samples.length === 0) throw new Error('no timed runs');
  const sorted = [...samples].sort((a, b) => a - b);
  return { ms: quantile(sorted, 0.5), noiseMs: (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 };
}

/** Linear interpolation between order statistics (numpy's default). */
function quantile(sorted: number[], q: number): number {
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (at - low) * (sorted[high] - sorted[low]);
}
