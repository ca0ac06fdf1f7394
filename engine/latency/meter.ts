// A latency meter times an ONNX model: repeated runs after a warm-up, the median as the latency
// and half the interquartile range as its noise. Meters: onnxruntime on this machine's CPU
// (./onnxruntime.ts) and the user's command for another device (./command.ts). A trainer that
// times on its own device (CUDA events in the PyTorch worker) would be one more meter.
import { OnnxModel } from '../interop/onnx-model';
import { Latency } from '../cost/objective';

export interface LatencyMeter {
  /** Times one model; rejects with a UserError saying why it could not. */
  time(model: OnnxModel, signal?: AbortSignal): Promise<Latency>;
  /** What it measures on, for run records ("onnxruntime 1.31.1 cpu, 1 thread, batch 1"). */
  readonly label: string;
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
