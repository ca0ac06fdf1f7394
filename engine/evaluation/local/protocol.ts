// Messages between the evaluation pool (engine/evaluation/local/pool) and its workers (engine/evaluation/local/worker).
// The worker's setup (EvaluatorSetup) travels as workerData.
import { BackendInfo } from '../../backend';
import { EvaluationRequest, EvaluationResult } from '../types';

/** Pool -> worker: train and evaluate one candidate; the worker answers with `result` and the same id. */
export type ToWorker = { type: 'evaluate'; id: number; request: EvaluationRequest };

export type FromWorker =
  /** Worker -> pool: backend, dataset and teacher are loaded; it takes candidates now. */
  | { type: 'ready'; backend: BackendInfo; gpu: boolean }
  /** Worker -> pool: the setup failed (e.g. a missing dataset); `user` when the user can fix it. The worker exits. */
  | { type: 'setup-failed'; reason: string; user: boolean }
  /** Worker -> pool: the outcome of `evaluate` number `id`. */
  | { type: 'result'; id: number; result: EvaluationResult }
  /** Worker -> pool: evaluation `id` stopped on a system error (a full disk): the run stops, the candidate is not done. */
  | { type: 'system-error'; id: number; message: string; code: string; syscall: string; path?: string };
