// Messages between the engine and its PyTorch workers (trainers/torch/esnac_trainer/worker.py):
// one JSON object per line over the worker's stdin and stdout. docs/pytorch-worker.md is the
// reference; a change to any message bumps PROTOCOL_VERSION on both sides.

import type { TrainingSettings } from '../../../protocol';
import type { EpochReport } from '../../train/loop';

export const PROTOCOL_VERSION = 2;

/** Engine -> worker, first line: load the run's dataset (RUN/dataset, engine/evaluation/inputs.ts) and pick the device. */
export interface Hello {
  type: 'hello';
  version: number;
  /** Absent: a worker that only times networks (`time`), for the latency meter. */
  dataset?: string;
  /** 'cuda' means the one GPU CUDA_VISIBLE_DEVICES leaves the worker. */
  device: 'cpu' | 'cuda' | 'auto';
  /** torch.set_num_threads; 0 leaves torch's default. */
  threads: number;
  /** CUDA: autocast to bf16 where supported, else fp16 with a gradient scaler. */
  autocast: boolean;
}

/** Engine -> worker: train one network; answered by `epoch` reports and one `result` with the same id. */
export interface TrainJob extends TrainingSettings {
  type: 'train';
  id: number;
  spec: unknown;
  /** Weights folder (model.json + weights.bin) to start from, as the engine made them. */
  initial: string;
  /** Where the best epoch's weights go, in the same format; absent: nowhere. */
  out?: string;
  /** distill: the teacher's weights folder (loaded once per worker with its logits). */
  teacher?: string;
  objective: 'distill' | 'cross-entropy';
  distillation: { kind: 'mse' } | { kind: 'kl'; temperature: number };
  /** Seeds batch order, augmentation and dropout. */
  seed: number;
  /** Merged into the `training` block of the written model.json. */
  record?: Record<string, unknown>;
  /** A folder where the state after each epoch is kept: a training stopped earlier goes on after its last kept epoch. */
  checkpoint?: string;
}

/**
 * Engine -> worker (version 2): time the spec's forward pass on the worker's device, in eval mode
 * without autograd, on a random batch; answered by one `timing` with the same id.
 */
export interface TimeJob {
  type: 'time';
  id: number;
  spec: unknown;
  batchSize: number;
  /** Untimed runs first. */
  warmup: number;
  /** Timed runs, each one sample. */
  repeats: number;
}

/** Engine -> worker: stop job `id` after its current batch or timed run; it answers with status cancelled. */
export interface Cancel {
  type: 'cancel';
  id: number;
}

export type ToWorker = Hello | TrainJob | TimeJob | Cancel;

/** A worker's epoch line carries the fields of the tfjs loop's report. */
export type { EpochReport };

/**
 * When the worker (version 2) read the job, started and ended its training (the epochs, with their
 * validation) and sent the result: milliseconds since the epoch, the engine's clock too.
 */
export interface JobPhases {
  received: number;
  trainingStarted: number;
  trainingEnded: number;
  sent: number;
}

export type TrainResult =
  | { status: 'ok'; accuracy: number; bestEpoch: number; batchSize: number; params: number; epochs: EpochReport[]; seconds: number; backend: string; phases: JobPhases }
  /** `system`: the machine failed it (a full disk while the weights were written), not the candidate. */
  | { status: 'failed'; reason: string; seconds: number; system?: SystemFailure }
  | { status: 'cancelled'; seconds: number };

/** An operating-system error as Node names one: its code (ENOSPC), the call and the file. */
export interface SystemFailure {
  code: string;
  syscall: string;
  path?: string;
}

/** Milliseconds of each timed run: CUDA events on a GPU, time.perf_counter on the CPU. */
export type TimingResult = { status: 'ok'; samples: number[]; seconds: number } | { status: 'failed'; reason: string; seconds: number } | { status: 'cancelled'; seconds: number };

export type FromWorker =
  /** The dataset is loaded; `detail` says torch, device and threads for logs and the journal. */
  | { type: 'ready'; version: number; torch: string; device: 'cpu' | 'cuda'; detail: string; pid: number }
  /** The setup failed (a missing dataset, another protocol version); `user` when the user can fix it. The worker exits. */
  | { type: 'setup-failed'; reason: string; user: boolean }
  | ({ type: 'epoch'; id: number } & EpochReport)
  | ({ type: 'result'; id: number } & TrainResult)
  | ({ type: 'timing'; id: number } & TimingResult)
  /** A train job with a `checkpoint` folder: the epochs it goes on after, or why the checkpoint there is not used. */
  | ({ type: 'checkpoint'; id: number } & CheckpointNote);

export type CheckpointNote = { resumed: EpochReport[] } | { ignored: string };
