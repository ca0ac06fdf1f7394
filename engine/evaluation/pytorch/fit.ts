// A PyTorch worker started for one piece of work outside a run (`esnac train`, run setup's speed
// measurement), and closed after it. The dataset, already loaded and preprocessed by the engine,
// is written for the worker as a run's is, so both trainers see the same examples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../../data';
import { writeDatasetFolder } from '../inputs';
import { PytorchEvaluator } from './evaluator';
import { PytorchPool } from './pool';
import { TorchInfo } from './python';

export interface SingleWorker {
  torch: TorchInfo;
  /** torch threads of the worker (on CPU). */
  threads: number;
  autocast: boolean;
}

/**
 * Runs `work` with a trainer of one worker (on the first GPU, if any) on `data`, and a scratch
 * folder for its files; both are gone afterwards, whatever `work` did.
 */
export async function withOneWorker<T>(data: Dataset, worker: SingleWorker, work: (trainer: PytorchEvaluator, scratch: string) => Promise<T>): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), 'esnac-worker-'));
  try {
    const dataset = join(scratch, 'dataset');
    writeDatasetFolder(data, dataset);
    const pool = await PytorchPool.start({ python: worker.torch.python, dataset, workers: 1, threads: worker.threads, gpus: Math.min(1, worker.torch.gpus), autocast: worker.autocast });
    const trainer = new PytorchEvaluator(pool);
    try {
      return await work(trainer, scratch);
    } finally {
      await trainer.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
