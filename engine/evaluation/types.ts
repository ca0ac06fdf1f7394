// What the search asks of an evaluator: A(x) for a candidate. The local tfjs trainer, a user's
// command and a cluster scheduler all implement this interface.
import { ArchitectureSpec } from '../architecture/types';

export interface EvaluationRequest {
  /** Candidate name, unique within a run (used for file names and logs). */
  name: string;
  spec: ArchitectureSpec;
  /** Where the evaluator may write the candidate's trained weights and logs. */
  outDir?: string;
}

export interface EvaluationSuccess {
  status: 'ok';
  /** Best validation accuracy in [0, 1]. */
  accuracy: number;
  params: number;
  /** Wall-clock seconds spent evaluating. */
  seconds: number;
  /** What trained it: a tfjs backend name, or the evaluator's own label. */
  backend: string;
  /**
   * Where the evaluator can tell (the PyTorch workers): seconds from the candidate's hand-over
   * to its first training step, and from the end of its training to its result back here.
   */
  outside?: { before: number; after: number };
}

export interface EvaluationFailure {
  status: 'failed';
  /** Why, in words a user can act on (NaN loss, out of memory, the command's stderr tail). */
  reason: string;
  seconds: number;
}

export type EvaluationResult = EvaluationSuccess | EvaluationFailure;

export interface Evaluator {
  /**
   * Evaluates one candidate; rejects when `signal` aborts or on a system error of the run's own
   * files (a full disk): then the candidate is not done. The candidate's failures resolve as 'failed'.
   */
  evaluate(request: EvaluationRequest, signal?: AbortSignal): Promise<EvaluationResult>;
  /** How many evaluations it runs at once (the search proposes in batches of this size or more). */
  readonly concurrency: number;
  /** Frees workers and memory. */
  close(): Promise<void>;
}
