// One network trained on labels by one PyTorch worker started for it, outside a run: `esnac train`
// and run setup's speed measurement. The dataset, already loaded and preprocessed by the engine,
// is written for the worker as a run's is, so both trainers see the same examples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../../data';
import { writeDatasetFolder } from '../inputs';
import { EvaluationResult } from '../types';
import { CheckpointNote, EpochReport } from './protocol';
import { LabelFit, PytorchEvaluator } from './evaluator';
import { PytorchPool } from './pool';
import { TorchInfo } from './python';

export interface SingleWorker {
  torch: TorchInfo;
  /** torch threads of the worker (on CPU). */
  threads: number;
  autocast: boolean;
}

export interface FitEvents {
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
  onCheckpoint?: (note: CheckpointNote) => void;
}

/** Trains `job` on `data` in a worker of its own (on the first GPU, if any), closed afterwards. */
export async function fitInOneWorker(data: Dataset, job: LabelFit, worker: SingleWorker, events: FitEvents = {}): Promise<EvaluationResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'esnac-fit-'));
  try {
    const dataset = join(scratch, 'dataset');
    writeDatasetFolder(data, dataset);
    const pool = await PytorchPool.start({ python: worker.torch.python, dataset, workers: 1, threads: worker.threads, gpus: Math.min(1, worker.torch.gpus), autocast: worker.autocast });
    const trainer = new PytorchEvaluator(pool);
    try {
      return await trainer.fit(job, events.signal, events.onEpoch, events.onCheckpoint);
    } finally {
      await trainer.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
