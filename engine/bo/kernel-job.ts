// One kernel's share of a BO step: fit a kernel on its bagged subset (or condition a transferred
// embedding on it), then maximise expected improvement under it. A pure function of the job and
// the keys already taken, run alike in the step's thread and in a kernel worker thread.
import { encodeArchitecture } from '../space/encoding';
import { SearchSpace } from '../space/space';
import { AcquisitionOptimizer } from '../run/settings';
import { Rng } from '../util/rng';
import { TrainingSet } from './bagging';
import { BiLstmEmbedding, BiLstmJSON } from './embedding/bilstm';
import { DEFAULT_GP_OPTIONS } from './gp/gp';
import { fitKernel, KernelFitOptions, LearnedKernel, LearnedKernelJSON } from './kernel/learned-kernel';
import { AcquisitionFunction } from './optim/acquisition-function';
import { maximiseAcquisition, Maximised } from './optim/maximise';
import { Proposal } from './proposal';

/** Plain data, so that it can be posted to a worker thread. */
export interface KernelJob {
  /** k, from 0. */
  index: number;
  /** The kernel's generator after bagging: fitting and then the optimiser draw on from here. */
  rng: number[];
  training: TrainingSet;
  /** A fresh kernel fitted with these options, or a transferred embedding (kernel transfer, paper 4.3). */
  model: { fit: Partial<KernelFitOptions> } | { transferred: BiLstmJSON };
  acquisition: { optimizer: AcquisitionOptimizer; samples: number };
}

export interface KernelOutcome {
  index: number;
  kernel: LearnedKernelJSON;
  /** The generator once the kernel is ready: where a re-run of the optimiser starts. */
  rngAfterFit: number[];
  proposal?: Proposal;
  /** Every key the optimiser scored (see Maximised). */
  scored: string[];
}

export async function runKernelJob(job: KernelJob, space: SearchSpace, taken: ReadonlySet<string>, signal?: AbortSignal): Promise<KernelOutcome> {
  const rng = new Rng(job.rng);
  const kernel = await kernelFor(job, rng, signal);
  try {
    const rngAfterFit = rng.state();
    const maximised = await maximise(kernel, job, space, rng, taken, signal);
    return outcome(job, kernel.toJSON(), rngAfterFit, maximised);
  } finally {
    kernel.dispose();
  }
}

/** The job's optimiser run again on its fitted kernel, for other keys taken. */
export async function rerunOptimiser(job: KernelJob, first: KernelOutcome, space: SearchSpace, taken: ReadonlySet<string>, signal?: AbortSignal): Promise<KernelOutcome> {
  const kernel = LearnedKernel.fromJSON(first.kernel, `kernel ${job.index + 1}`);
  try {
    const maximised = await maximise(kernel, job, space, new Rng(first.rngAfterFit), taken, signal);
    return outcome(job, first.kernel, first.rngAfterFit, maximised);
  } finally {
    kernel.dispose();
  }
}

function outcome(job: KernelJob, kernel: LearnedKernelJSON, rngAfterFit: number[], { best, scored }: Maximised): KernelOutcome {
  return { index: job.index, kernel, rngAfterFit, ...(best ? { proposal: best } : {}), scored };
}

function kernelFor(job: KernelJob, rng: Rng, signal?: AbortSignal): Promise<LearnedKernel> {
  if ('transferred' in job.model) return conditionKernel(BiLstmEmbedding.fromJSON(job.model.transferred, 'transferred kernel'), job.training);
  return fitKernel(job.training.encodings, job.training.ys, job.model.fit, rng, signal);
}

/** A kernel with a given (transferred) embedding, its GP conditioned on this run's data. */
async function conditionKernel(embedding: BiLstmEmbedding, { encodings, ys }: TrainingSet): Promise<LearnedKernel> {
  const e = embedding.embed(encodings);
  try {
    return new LearnedKernel(embedding, Float64Array.from(await e.data()), Float64Array.from(ys), DEFAULT_GP_OPTIONS);
  } finally {
    e.dispose();
  }
}

function maximise(kernel: LearnedKernel, job: KernelJob, space: SearchSpace, rng: Rng, taken: ReadonlySet<string>, signal?: AbortSignal): Promise<Maximised> {
  // Not cached: a step scores K x M candidates, most never seen again.
  const expectedImprovement: AcquisitionFunction = (batch) => kernel.expectedImprovement(batch.map((p) => encodeArchitecture(p.spec)), { signal });
  return maximiseAcquisition(expectedImprovement, space, rng, taken, { ...job.acquisition, proposedBy: `kernel-${job.index + 1}` });
}
