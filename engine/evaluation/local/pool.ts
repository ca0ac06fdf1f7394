// Evaluates candidates in parallel, one per worker_threads worker, each worker with its own tfjs,
// backend, dataset and teacher. Two workers give 1.7-1.9x on two cores (docs/compute.md); a GPU
// backend gets one worker, since workers would only queue on the same device.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BackendInfo } from '../../backend';
import { EvaluationRequest, EvaluationResult, Evaluator } from '../types';
import { systemError, UserError } from '../../util/errors';
import { startWorker, WorkerEntry } from '../../util/worker';
import { FromWorker, ToWorker } from './protocol';
import { EvaluatorSetup } from './setup';

export interface PoolOptions {
  setup: EvaluatorSetup;
  /** Default: one per CPU core, or 1 on a GPU backend. */
  workers?: number;
}

interface Job {
  id: number;
  request: EvaluationRequest;
  started: number;
  resolve(result: EvaluationResult): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
}

/** The worker's entry: `train-worker.js` next to the bundle (dist/cli.js...), or worker.ts from source. */
const WORKER: WorkerEntry = { source: join(__dirname, 'worker.ts'), bundle: join(__dirname, 'train-worker.js') };

export class WorkerPool implements Evaluator {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly setup: EvaluatorSetup,
    readonly concurrency: number,
    readonly backend: BackendInfo,
    first: Worker,
  ) {
    this.adopt(first, true);
    for (let i = 1; i < concurrency; i++) this.adopt(spawn(setup));
  }

  /**
   * Starts one worker and waits until it has loaded the backend, dataset and teacher (a setup
   * problem such as a missing dataset rejects here, as a UserError when the user can fix it),
   * then starts the others.
   */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const worker = spawn(options.setup);
    const { backend, gpu } = await firstReady(worker);
    const count = options.workers ?? (gpu ? 1 : availableParallelism());
    if (!Number.isInteger(count) || count < 1) {
      await worker.terminate();
      throw new UserError(`the number of workers must be a positive whole number, got ${count}`);
    }
    return new WorkerPool(options.setup, count, backend, worker);
  }

  evaluate(request: EvaluationRequest, signal?: AbortSignal): Promise<EvaluationResult> {
    if (this.closed) return Promise.reject(new Error('the evaluation pool is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, request, started: performance.now(), resolve, reject, ...(signal ? { signal } : {}) };
      if (signal) {
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, () => job.reject(new Error('the evaluation pool was closed')));
    const workers = this.slots.splice(0).map((slot) => {
      if (slot.job) this.settle(slot.job, () => slot.job!.reject(new Error('the evaluation pool was closed')));
      return slot.worker.terminate();
    });
    await Promise.all(workers);
  }

  private adopt(worker: Worker, ready = false): void {
    const slot: Slot = { worker, ready };
    this.slots.push(slot);
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (err) => this.onExit(slot, `the worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.onExit(slot, `the worker exited (code ${code})`));
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.dispatch();
        return;
      case 'setup-failed':
        this.onExit(slot, `a worker could not load: ${message.reason}`);
        return;
      case 'result':
      case 'system-error': {
        const job = slot.job;
        slot.job = undefined;
        if (job?.id === message.id) this.settle(job, () => (message.type === 'result' ? job.resolve(message.result) : job.reject(systemError(message.message, message.code, message.syscall, message.path))));
        this.dispatch();
      }
    }
  }

  /** A worker is gone: its candidate fails, a new worker takes its place. */
  private onExit(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    void slot.worker.terminate();
    const job = slot.job;
    if (job) this.settle(job, () => job.resolve({ status: 'failed', reason, seconds: (performance.now() - job.started) / 1000 }));
    if (this.closed) return;
    if (!slot.ready) {
      // It never got ready: a replacement would fail the same way.
      if (this.slots.length === 0) for (const queued of this.queue.splice(0)) this.settle(queued, () => queued.reject(new Error(reason)));
      return;
    }
    this.adopt(spawn(this.setup));
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const slot = this.slots.find((s) => s.job === job);
    if (slot) {
      // tfjs work is synchronous inside the worker: ending the thread is the prompt way to stop.
      slot.job = undefined;
      this.slots.splice(this.slots.indexOf(slot), 1);
      void slot.worker.terminate();
      if (!this.closed) this.adopt(spawn(this.setup));
    }
    this.settle(job, () => job.reject(abortReason(job.signal!)));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      const message: ToWorker = { type: 'evaluate', id: job.id, request: job.request };
      slot.worker.postMessage(message);
    }
  }

  private settle(job: Job, finish: () => void): void {
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    finish();
  }
}

function spawn(setup: EvaluatorSetup): Worker {
  return startWorker(WORKER, { workerData: setup });
}

function firstReady(worker: Worker): Promise<{ backend: BackendInfo; gpu: boolean }> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === 'ready') resolve({ backend: message.backend, gpu: message.gpu });
      else if (message.type === 'setup-failed') reject(message.user ? new UserError(message.reason) : new Error(message.reason));
      if (message.type === 'ready' || message.type === 'setup-failed') cleanup();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the evaluation worker exited (code ${code}) before it was ready`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The evaluation was aborted', 'AbortError');
}
