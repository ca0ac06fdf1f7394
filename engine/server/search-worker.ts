// A search worker: runs one SearchJob off the language server's thread (training is synchronous
// tfjs work that would otherwise stall every language feature), relaying the search's hooks.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import { compress } from '../search/compress';
import { measureSpeed } from '../search/speed';
import { errorDetail, UserError } from '../util/errors';
import { FromSearchWorker, SearchJob, ToSearchWorker } from './search-messages';

function post(message: FromSearchWorker): void {
  parentPort!.postMessage(message);
}

async function run(job: SearchJob): Promise<void> {
  if (job.kind === 'probe') {
    post({ type: 'backend', info: await initBackend(job.backend) });
    return;
  }
  if (job.kind === 'speed') {
    post({ type: 'speed', result: await measureSpeed(job.params.teacher, job.params.dataset, job.params.backend, job.params.evaluator) });
    return;
  }
  const controller = new AbortController();
  parentPort!.on('message', (message: ToSearchWorker) => {
    if (message.type === 'cancel') controller.abort();
  });
  const result = await compress(
    job.options,
    {
      runDirectory: (dir) => post({ type: 'run-directory', dir }),
      progress: (progress) => post({ type: 'progress', progress }),
      candidate: (event) => post({ type: 'candidate', event }),
      log: (message) => post({ type: 'log', message }),
    },
    controller.signal,
  );
  post({ type: 'done', result });
}

run(workerData as SearchJob).then(
  () => process.exit(0),
  (err: unknown) => {
    const user = err instanceof UserError;
    post({ type: 'failed', message: user ? err.message : errorDetail(err), user });
    process.exit(1);
  },
);
