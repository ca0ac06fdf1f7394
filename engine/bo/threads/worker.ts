// A kernel worker: a worker_threads thread with its own tfjs that runs a BO step's kernel jobs one
// at a time as the step posts them. The step ends the thread when it is done or cancelled.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../backend';
import { buildSearchSpace } from '../../space/space';
import { runKernelJob } from '../kernel-job';
import { FromKernelWorker, KernelWorkerSetup, ToKernelWorker } from './protocol';

function post(message: FromKernelWorker): void {
  parentPort!.postMessage(message);
}

const failed = (err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });

async function main(setup: KernelWorkerSetup): Promise<void> {
  await initBackend(setup.backend);
  const space = buildSearchSpace(setup.teacher, setup.spaceOptions);
  const taken = new Set(setup.taken);
  parentPort!.on('message', (message: ToKernelWorker) => {
    runKernelJob(message.job, space, taken).then((outcome) => post({ type: 'outcome', outcome }), failed);
  });
  post({ type: 'ready' });
}

main(workerData as KernelWorkerSetup).catch(failed);
