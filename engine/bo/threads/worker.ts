// A kernel worker: a worker_threads thread with its own tfjs that runs a BO step's kernel jobs one
// at a time as the step posts them. The step ends the thread when it is done or cancelled.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../backend';
import { buildSearchSpace } from '../../space/space';
import { ArchitectureSpec } from '../../architecture/types';
import { runKernelJob } from '../kernel-job';
import { Question, Screen } from '../screen';
import { FromKernelWorker, KernelWorkerSetup, ToKernelWorker } from './protocol';
import { errorMessage } from '../../util/errors';

function post(message: FromKernelWorker): void {
  parentPort!.postMessage(message);
}

const failed = (err: unknown) => post({ type: 'failed', message: errorMessage(err) });

async function main(setup: KernelWorkerSetup): Promise<void> {
  await initBackend(setup.backend);
  const space = buildSearchSpace(setup.teacher, setup.spaceOptions);
  const taken = new Set(setup.taken);
  // The screen's questions go to the step's thread; each answer comes back with its question's id.
  const waiting = new Map<number, (answer: boolean[] | number[]) => void>();
  let asked = 0;
  const ask = <T extends boolean[] | number[]>(question: Question) => (specs: ArchitectureSpec[]) =>
    new Promise<T>((resolve) => {
      const id = asked++;
      waiting.set(id, resolve as (answer: boolean[] | number[]) => void);
      post({ type: 'ask', id, question, specs });
    });
  const screen: Screen = {
    ...(setup.questions.includes('admits') && { admits: ask<boolean[]>('admits') }),
    ...(setup.questions.includes('costFactors') && { costFactors: ask<number[]>('costFactors') }),
  };
  parentPort!.on('message', (message: ToKernelWorker) => {
    if (message.type === 'answer') {
      waiting.get(message.id)!(message.answer);
      waiting.delete(message.id);
      return;
    }
    runKernelJob(message.job, space, taken, screen).then((outcome) => post({ type: 'outcome', outcome }), failed);
  });
  post({ type: 'ready' });
}

main(workerData as KernelWorkerSetup).catch(failed);
