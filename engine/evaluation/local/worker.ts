// One evaluation worker (a worker_threads thread with its own tfjs and backend): loads its
// context from workerData, then evaluates candidates one at a time as the pool posts them.
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, isSystemError, UserError } from '../../util/errors';
import { evaluateCandidate } from './candidate';
import { FromWorker, ToWorker } from './protocol';
import { EvaluatorSetup, loadContext } from './setup';

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

async function main(): Promise<void> {
  let context;
  try {
    context = await loadContext(workerData as EvaluatorSetup);
  } catch (err) {
    post({ type: 'setup-failed', reason: errorMessage(err), user: err instanceof UserError });
    process.exit(1);
  }
  const loaded = context;
  parentPort!.on('message', (message: ToWorker) => {
    void evaluateCandidate(message.request, loaded).then(
      (result) => post({ type: 'result', id: message.id, result }),
      (err: unknown) => {
        // Only system errors reach here (nothing aborts inside a worker); any other is a bug, which crashes the worker.
        if (!isSystemError(err)) throw err;
        post({ type: 'system-error', id: message.id, message: err.message, code: err.code, syscall: err.syscall, ...(err.path !== undefined && { path: err.path }) });
      },
    );
  });
  post({ type: 'ready', backend: loaded.backendInfo, gpu: loaded.gpu });
}

void main();
