// Messages between a BO step (engine/bo/step) and its kernel worker threads (engine/bo/threads/worker).
import { BackendName } from '../../backend';
import { ArchitectureSpec } from '../../architecture/types';
import { SearchSpaceOptions } from '../../space/space';
import { KernelJob, KernelOutcome } from '../kernel-job';
import { Question } from '../screen';

/** The step's context, as workerData: the worker rebuilds the search space from the teacher. */
export interface KernelWorkerSetup {
  /** The backend the step's thread does its kernel maths on, so that the numbers are the same. */
  backend: BackendName;
  teacher: ArchitectureSpec;
  spaceOptions: SearchSpaceOptions;
  /** Keys the optimisers must not propose. */
  taken: string[];
  /** The screen's questions the step answers (see ask). */
  questions: Question[];
}

export type ToKernelWorker =
  /** Step -> worker: run one kernel's job; the worker answers `outcome` (or `failed`). */
  | { type: 'run'; job: KernelJob }
  /** Step -> worker: the screen's answer to the worker's `ask` of this id. */
  | { type: 'answer'; id: number; answer: boolean[] | number[] };

export type FromKernelWorker =
  /** Worker -> step: backend and search space are loaded; it takes jobs now. */
  | { type: 'ready' }
  | { type: 'outcome'; outcome: KernelOutcome }
  /** Worker -> step: a job's question about candidates, for the screen of the step's thread. */
  | { type: 'ask'; id: number; question: Question; specs: ArchitectureSpec[] }
  /** Worker -> step: the setup or a job threw; the step fails with this message. */
  | { type: 'failed'; message: string };
