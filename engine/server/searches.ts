// Searches run in worker threads, one per search, so the language features stay responsive
// while candidates train. Cancelling asks the worker to abort; it answers once the run directory
// is consistent (resumable), then exits.
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Worker, WorkerOptions } from 'node:worker_threads';
import { CancellationToken } from 'vscode-languageserver';
import type { SpeedParams, SpeedResult } from '../../protocol';
import { BackendInfo } from '../backend';
import { CandidateEvent } from '../run/journal';
import { interruptHolder, lockHolder } from '../run/lock';
import { CompressOptions, CompressResult } from '../search/compress';
import { SearchProgress } from '../search/search';
import { UserError } from '../util/errors';
import { startWorker, WorkerEntry } from '../util/worker';
import { FromSearchWorker, SearchJob, ToSearchWorker } from './search-messages';

export interface SearchListener {
  started(runDir: string): void;
  progress(runDir: string, progress: SearchProgress): void;
  candidate(runDir: string, event: CandidateEvent): void;
  log(level: 'info' | 'warning' | 'error', message: string, runDir?: string): void;
}

/** The worker's entry: `search-worker.js` next to the bundle (dist/server.js, dist/cli.js), or the .ts from source. */
const SEARCH_WORKER: WorkerEntry = { source: join(__dirname, 'search-worker.ts'), bundle: join(__dirname, 'search-worker.js') };

function newWorker(options: WorkerOptions): Worker {
  return startWorker(SEARCH_WORKER, options);
}

export class SearchWorkers {
  /** Run directories with a search in this engine, and how to cancel it. */
  private readonly running = new Map<string, () => void>();
  private readonly workers = new Set<Worker>();

  constructor(private readonly listener: SearchListener) {}

  /** Running here, or in another process that holds the run's lock (a CLI, another window's engine). */
  isRunning(runDir: string): boolean {
    return this.running.has(resolve(runDir)) || lockHolder(runDir) !== undefined;
  }

  /** Runs `compress` in a new worker; a UserError when the run cannot start or the input is wrong. */
  async compress(options: CompressOptions, token: CancellationToken): Promise<CompressResult> {
    // A resumed run is claimed at once, so a second resume cannot slip in before the worker starts.
    let runDir = options.resume && resolve(options.resume);
    if (runDir && this.running.has(runDir)) throw new UserError(`${runDir} is running already`);
    const worker = this.spawn({ kind: 'compress', options }, () => runDir);
    const stop = () => worker.postMessage({ type: 'cancel' } satisfies ToSearchWorker);
    if (runDir) this.running.set(runDir, stop);
    try {
      const cancel = token.onCancellationRequested(stop);
      try {
        return await settle(worker, (message) => {
          if (message.type === 'run-directory') {
            runDir = message.dir;
            this.running.set(runDir, stop);
            this.listener.started(runDir);
          } else if (message.type === 'progress') this.listener.progress(runDir!, message.progress);
          else if (message.type === 'candidate') this.listener.candidate(runDir!, message.event);
          else if (message.type === 'log') this.listener.log('info', message.message, runDir);
          return message.type === 'done' ? message.result : undefined;
        });
      } finally {
        cancel.dispose();
      }
    } finally {
      if (runDir) this.running.delete(runDir);
    }
  }

  /**
   * Stops a run as Ctrl-C would: this engine's own search is cancelled (as its request's
   * cancellation does), another process's is sent SIGINT once its lock is checked to be its
   * (interruptHolder). The pid asked; a UserError when the run is not running.
   */
  cancel(runDir: string): number {
    const here = this.running.get(resolve(runDir));
    if (here) {
      here();
      return process.pid;
    }
    return interruptHolder(runDir).pid;
  }

  /** Cancels every search of this engine; how many there were. */
  cancelAll(): number {
    this.running.forEach((stop) => stop());
    return this.running.size;
  }

  /** The backend a search would get, loaded in a short-lived worker. */
  probe(backend: BackendInfo['name'] | 'auto'): Promise<BackendInfo> {
    const worker = this.spawn({ kind: 'probe', backend }, () => undefined);
    return settle(worker, (message) => (message.type === 'backend' ? message.info : undefined));
  }

  /** How fast this machine trains the teacher, measured in a short-lived worker. */
  speed(params: SpeedParams): Promise<SpeedResult> {
    const worker = this.spawn({ kind: 'speed', params }, () => undefined);
    return settle(worker, (message) => (message.type === 'speed' ? message.result : undefined));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  private spawn(job: SearchJob, runDir: () => string | undefined): Worker {
    // The worker's own stdout would land on ours, which carries the protocol: take it as logs.
    const worker = newWorker({ workerData: job, stdout: true, stderr: true });
    this.workers.add(worker);
    worker.once('exit', () => this.workers.delete(worker));
    forwardLines(worker.stdout, (line) => this.listener.log('info', line, runDir()));
    forwardLines(worker.stderr, (line) => this.listener.log('warning', line, runDir()));
    return worker;
  }
}

/** Resolves with the first value `onMessage` returns; rejects when the worker fails or stops. */
function settle<T>(worker: Worker, onMessage: (message: FromSearchWorker) => T | undefined): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    worker.on('message', (message: FromSearchWorker) => {
      if (settled) return;
      if (message.type === 'failed') {
        settled = true;
        reject(message.user ? new UserError(message.message) : new Error(message.message));
        return;
      }
      const value = onMessage(message);
      if (value !== undefined) {
        settled = true;
        resolvePromise(value);
      }
    });
    worker.on('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the search worker stopped unexpectedly (exit code ${code}); the run can be resumed`));
      settled = true;
    });
  });
}

function forwardLines(stream: Readable, line: (text: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const text of lines) if (text.trim() !== '') line(text);
  });
  stream.on('end', () => {
    if (pending.trim() !== '') line(pending);
  });
}
