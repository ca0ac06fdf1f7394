// A pool of long-lived PyTorch worker processes (trainers/torch/esnac_trainer/worker.py), one job
// at a time each: one worker per GPU (CUDA_VISIBLE_DEVICES), or on CPU workers x threads. A job
// goes to the first free worker. A worker that dies fails its job with the reason and is
// replaced; cancelling a job asks its worker to stop after the batch (killed if it does not);
// close() ends every worker: the pipe closes, then SIGTERM, then SIGKILL.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../../util/errors';
import { CheckpointNote, EpochReport, FromWorker, PROTOCOL_VERSION, TimeJob, TimingResult, ToWorker, TrainJob, TrainResult } from './protocol';
import { trainerRoot } from './python';

export interface PytorchPoolOptions {
  python: string;
  /** The run's exported dataset folder; absent: workers that only time networks. */
  dataset?: string;
  workers: number;
  /** torch threads per worker. */
  threads: number;
  /** GPUs the workers are spread over (worker i sees GPU i mod gpus); 0: CPU. */
  gpus: number;
  autocast: boolean;
}

export type JobRequest = Omit<TrainJob, 'type' | 'id'>;
export type TimeRequest = Omit<TimeJob, 'type' | 'id'>;
type JobMessage = Omit<TrainJob, 'id'> | Omit<TimeJob, 'id'>;
type JobResult = TrainResult | TimingResult;

/** A cancelled job's worker that has not stopped after this long is killed. */
const CANCEL_GRACE_MS = 5000;
/** A closing worker gets this long after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;
const STDERR_LINES = 20;

interface Job {
  id: number;
  message: JobMessage;
  started: number;
  resolve(result: JobResult): void;
  reject(err: unknown): void;
  onEpoch?: (report: EpochReport) => void;
  onCheckpoint?: (note: CheckpointNote) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** Rejected already (aborted): its worker is still stopping. */
  settled?: boolean;
}

interface Worker {
  index: number;
  child: ChildProcessWithoutNullStreams;
  ready: boolean;
  job?: Job;
  stderr: string[];
  exited: Promise<void>;
  killTimer?: NodeJS.Timeout;
}

export class PytorchPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly options: PytorchPoolOptions,
    /** What the first worker said it runs on ("pytorch 2.3.1 cuda NVIDIA H100, bf16 autocast"). */
    readonly detail: string,
    first: Worker,
  ) {
    this.workers.push(first);
    for (let i = 1; i < options.workers; i++) this.workers.push(this.spawn(i));
  }

  get concurrency(): number {
    return this.options.workers;
  }

  /** Starts one worker and waits until it has loaded the dataset (a setup problem rejects here), then the others. */
  static async start(options: PytorchPoolOptions): Promise<PytorchPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new UserError(`the number of workers must be a positive whole number, got ${options.workers}`);
    let pool: PytorchPool | undefined;
    let settle!: { resolve(detail: string): void; reject(err: Error): void };
    const ready = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
    const first = launch(
      options,
      0,
      (worker, message) => {
        if (pool) return pool.onMessage(worker, message);
        if (message.type === 'ready') {
          worker.ready = true;
          settle.resolve(message.detail);
        } else if (message.type === 'setup-failed') {
          const reason = `the PyTorch worker could not start: ${message.reason}`;
          settle.reject(message.user ? new UserError(reason) : new Error(reason));
        }
      },
      (worker, reason) => (pool ? pool.onExit(worker, reason) : settle.reject(new Error(`${reason} before it was ready${worker.stderr.length > 0 ? `: ${worker.stderr.slice(-3).join(' | ')}` : ''}`))),
    );
    try {
      pool = new PytorchPool(options, await ready, first);
    } catch (err) {
      stop(first);
      await first.exited;
      throw err;
    }
    return pool;
  }

  /** Trains on a free worker; resolves every outcome, rejects only when `signal` aborts or the pool closes. */
  train(request: JobRequest, signal?: AbortSignal, onEpoch?: (report: EpochReport) => void, onCheckpoint?: (note: CheckpointNote) => void): Promise<TrainResult> {
    return this.enqueue({ type: 'train', ...request }, signal, onEpoch, onCheckpoint) as Promise<TrainResult>;
  }

  /** Times a network on a free worker's device; settles as train() does. */
  time(request: TimeRequest, signal?: AbortSignal): Promise<TimingResult> {
    return this.enqueue({ type: 'time', ...request }, signal) as Promise<TimingResult>;
  }

  private enqueue(message: JobMessage, signal?: AbortSignal, onEpoch?: (report: EpochReport) => void, onCheckpoint?: (note: CheckpointNote) => void): Promise<JobResult> {
    if (this.closed) return Promise.reject(new Error('the PyTorch pool is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, message, started: performance.now(), resolve, reject, ...(onEpoch ? { onEpoch } : {}), ...(onCheckpoint ? { onCheckpoint } : {}), ...(signal ? { signal } : {}) };
      if (signal) {
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** The worker processes' ids (tests kill one). */
  pids(): number[] {
    return this.workers.map((w) => w.child.pid!).filter((pid) => pid !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, () => job.reject(new Error('the PyTorch pool was closed')));
    const workers = this.workers.splice(0);
    for (const w of workers) {
      if (w.job) this.settle(w.job, () => w.job!.reject(new Error('the PyTorch pool was closed')));
      stop(w);
    }
    await Promise.all(workers.map((w) => w.exited));
  }

  private spawn(index: number): Worker {
    return launch(this.options, index, (w, m) => this.onMessage(w, m), (w, reason) => this.onExit(w, reason));
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        this.dispatch();
        return;
      case 'setup-failed':
        // The worker exits next; onExit says why.
        worker.stderr.push(message.reason);
        return;
      case 'epoch': {
        const { type: _type, id: _id, ...report } = message;
        if (worker.job?.id === message.id && !worker.job.settled) worker.job.onEpoch?.(report);
        return;
      }
      case 'checkpoint': {
        const { type: _type, id: _id, ...note } = message;
        if (worker.job?.id === message.id && !worker.job.settled) worker.job.onCheckpoint?.(note);
        return;
      }
      case 'result':
      case 'timing': {
        const job = worker.job;
        if (job?.id !== message.id) return;
        worker.job = undefined;
        if (worker.killTimer) clearTimeout(worker.killTimer);
        const { type: _type, id: _id, ...result } = message;
        if (!job.settled) {
          if (result.status === 'cancelled') this.settle(job, () => job.reject(abortReason(job.signal)));
          else this.settle(job, () => job.resolve(result));
        }
        this.dispatch();
      }
    }
  }

  /** A worker is gone: its job fails with the reason, a new worker takes its place. */
  private onExit(worker: Worker, reason: string): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.workers.splice(index, 1);
    const job = worker.job;
    const why = `${reason}${worker.stderr.length > 0 ? `: ${worker.stderr[worker.stderr.length - 1]}` : ''}`;
    if (job && !job.settled) this.settle(job, () => job.resolve({ status: 'failed', reason: why, seconds: (performance.now() - job.started) / 1000 }));
    if (this.closed) return;
    if (!worker.ready) {
      // It never got ready: a replacement would fail the same way.
      if (this.workers.length === 0) for (const queued of this.queue.splice(0)) this.settle(queued, () => queued.reject(new Error(why)));
      return;
    }
    this.workers.push(this.spawn(worker.index));
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const worker = this.workers.find((w) => w.job === job);
    if (worker) {
      send(worker, { type: 'cancel', id: job.id });
      worker.killTimer = setTimeout(() => stop(worker), CANCEL_GRACE_MS);
    }
    this.settle(job, () => job.reject(abortReason(job.signal)));
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (!worker.ready || worker.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      worker.job = job;
      send(worker, { ...job.message, id: job.id } as ToWorker);
    }
  }

  private settle(job: Job, finish: () => void): void {
    if (job.settled) return;
    job.settled = true;
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    finish();
  }
}

function launch(options: PytorchPoolOptions, index: number, onMessage: (w: Worker, m: FromWorker) => void, onExit: (w: Worker, reason: string) => void): Worker {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: [trainerRoot(), process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    OMP_NUM_THREADS: String(options.threads),
  };
  if (options.gpus > 0) env.CUDA_VISIBLE_DEVICES = String(index % options.gpus);
  const child = spawn(options.python, ['-m', 'esnac_trainer.worker'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let exited!: () => void;
  const worker: Worker = { index, child, ready: false, stderr: [], exited: new Promise((resolve) => (exited = resolve)) };
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: FromWorker;
    try {
      message = JSON.parse(line) as FromWorker;
    } catch {
      worker.stderr.push(`unreadable message: ${line.slice(0, 200)}`);
      return;
    }
    onMessage(worker, message);
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!line.trim()) return;
    worker.stderr.push(line);
    if (worker.stderr.length > STDERR_LINES) worker.stderr.shift();
  });
  // A worker that dies mid-write must not take the engine with it (EPIPE on its stdin).
  child.stdin.on('error', () => {});
  child.on('error', (err) => {
    onExit(worker, `the PyTorch worker could not start (${options.python}): ${err.message}`);
    exited();
  });
  child.on('exit', (code, signal) => {
    if (worker.killTimer) clearTimeout(worker.killTimer);
    onExit(worker, `the PyTorch worker exited (${signal ? `signal ${signal}` : `code ${code}`})`);
    exited();
  });
  send(worker, { type: 'hello', version: PROTOCOL_VERSION, ...(options.dataset !== undefined && { dataset: options.dataset }), device: options.gpus > 0 ? 'cuda' : 'cpu', threads: options.threads, autocast: options.autocast });
  return worker;
}

function send(worker: Worker, message: ToWorker): void {
  if (worker.child.stdin.writable) worker.child.stdin.write(JSON.stringify(message) + '\n');
}

/** Closes the worker's input (it exits at once on end of input), then signals it if it lingers. */
function stop(worker: Worker): void {
  worker.child.stdin.end();
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const term = setTimeout(() => worker.child.kill('SIGTERM'), KILL_GRACE_MS / 4);
  const kill = setTimeout(() => worker.child.kill('SIGKILL'), KILL_GRACE_MS);
  void worker.exited.then(() => {
    clearTimeout(term);
    clearTimeout(kill);
  });
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('The training was aborted', 'AbortError');
}
