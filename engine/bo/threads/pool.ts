// Runs a BO step's kernel jobs on worker threads, each with its own tfjs: kernel fits are
// synchronous tfjs work, so threads are what runs them at once. The threads live for one step
// (they start in about a second; a step's fits take tens of seconds) and end before it returns.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startWorker, WorkerEntry } from '../../util/worker';
import { KernelJob, KernelOutcome } from '../kernel-job';
import { questionsOf, Screen } from '../screen';
import { FromKernelWorker, KernelWorkerSetup, ToKernelWorker } from './protocol';

/** The worker's entry: `kernel-worker.js` next to the bundle (dist/cli.js...), or worker.ts from source. */
const WORKER: WorkerEntry = { source: join(__dirname, 'worker.ts'), bundle: join(__dirname, 'kernel-worker.js') };

/**
 * The outcomes of `jobs` by index, from `threads` workers taking jobs in index order. The jobs'
 * questions are answered here by `screen`, one at a time (a latency table prepares one batch at
 * once). A failed job, worker or answer fails the whole; abort ends every thread at once. No
 * thread outlives the promise.
 */
export function runOnThreads(
  jobs: readonly KernelJob[],
  setup: Omit<KernelWorkerSetup, 'questions'>,
  screen: Screen,
  threads: number,
  signal?: AbortSignal,
): Promise<KernelOutcome[]> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (jobs.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const outcomes: KernelOutcome[] = new Array(jobs.length);
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let settled = false;
    let answering = Promise.resolve();
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void Promise.all(workers.map((w) => w.terminate())).then(settle, settle);
    };
    const onAbort = () => finish(() => reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const answer = (worker: Worker, { id, question, specs }: Extract<FromKernelWorker, { type: 'ask' }>) => {
      answering = answering
        .then(async () => {
          if (settled) return;
          const message: ToKernelWorker = { type: 'answer', id, answer: await screen[question]!(specs) };
          if (!settled) worker.postMessage(message);
        })
        .catch((err) => finish(() => reject(err)));
    };
    const feed = (worker: Worker) => {
      if (next >= jobs.length) return;
      const message: ToKernelWorker = { type: 'run', job: jobs[next++] };
      worker.postMessage(message);
    };
    for (let i = 0; i < threads; i++) {
      const workerData: KernelWorkerSetup = { ...setup, questions: questionsOf(screen) };
      const worker = startWorker(WORKER, { workerData });
      workers.push(worker);
      worker.on('message', (message: FromKernelWorker) => {
        switch (message.type) {
          case 'ready':
            feed(worker);
            return;
          case 'outcome':
            outcomes[message.outcome.index] = message.outcome;
            if (++done === jobs.length) finish(() => resolve(outcomes));
            else feed(worker);
            return;
          case 'ask':
            answer(worker, message);
            return;
          case 'failed':
            finish(() => reject(new Error(message.message)));
        }
      });
      worker.on('error', (err) => finish(() => reject(err)));
      worker.on('exit', (code) => finish(() => reject(new Error(`a kernel worker exited (code ${code}) before the step's kernels were done`))));
    }
  });
}
