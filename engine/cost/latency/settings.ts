// How latency is measured: the ONNX export timed by onnxruntime on this machine's CPU, or by the
// user's command for a device esnac cannot reach.
export interface LatencySettings {
  /** Images per timed run. */
  batchSize: number;
  /** onnxruntime's intra-op threads. */
  threads: number;
  /** Untimed runs first. */
  warmup: number;
  /** Timed runs; the median is the latency. */
  repeats: number;
  /** A command template given {onnx} that prints milliseconds; empty: onnxruntime here. */
  command: string;
}

export const DEFAULT_LATENCY: LatencySettings = { batchSize: 1, threads: 1, warmup: 5, repeats: 30, command: '' };
