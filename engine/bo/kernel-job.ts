// One kernel's share of a BO step: fit a kernel on its bagged subset (or condition a transferred
// embedding on it), then maximise expected improvement under it. A pure function of the job, the
// keys already taken and the screen's answers, run alike in the step's thread and in a kernel
// worker thread.
import { EncodedArchitecture, encodeArchitecture } from '../space/encoding';
import { SearchSpace } from '../space/space';
import { AcquisitionOptimizer } from '../run/settings';
import { Rng } from '../util/rng';
import { expectedImprovement } from './acquisition/expected-improvement';
import { TrainingSet } from './bagging';
import { BiLstmEmbedding, BiLstmJSON } from './embedding/bilstm';
import { DEFAULT_GP_OPTIONS } from './gp/gp';
import { fitKernel, KernelFitOptions, LearnedKernel, LearnedKernelJSON } from './kernel/learned-kernel';
import { AcquisitionFunction } from './optim/acquisition-function';
import { maximiseAcquisition, Maximised } from './optim/maximise';
import { Admit, Proposal } from './proposal';
import { Screen } from './screen';

/** Plain data, so that it can be posted to a worker thread. */
export interface KernelJob {
  /** k, from 0. */
  index: number;
  /** The kernel's generator after bagging: fitting and then the optimiser draw on from here. */
  rng: number[];
  training: TrainingSet;
  /** A fresh kernel fitted with these options, or a transferred embedding (kernel transfer, paper 4.3). */
  model: { fit: Partial<KernelFitOptions> } | { transferred: BiLstmJSON };
  acquisition: {
    optimizer: AcquisitionOptimizer;
    samples: number;
    /** With a cost known before training: EI of the predicted reward against the best f so far (see predictedReward). */
    predictedReward?: { fBest: number };
  };
}

export interface KernelOutcome {
  index: number;
  kernel: LearnedKernelJSON;
  /** The generator once the kernel is ready: where a re-run of the optimiser starts. */
  rngAfterFit: number[];
  proposal?: Proposal;
  /** Every key the optimiser considered (see Maximised). */
  considered: string[];
}

export async function runKernelJob(job: KernelJob, space: SearchSpace, taken: ReadonlySet<string>, screen: Screen, signal?: AbortSignal): Promise<KernelOutcome> {
  const rng = new Rng(job.rng);
  const kernel = await kernelFor(job, rng, signal);
  try {
    const rngAfterFit = rng.state();
    const maximised = await maximise(kernel, job, space, rng, taken, screen, signal);
    return outcome(job, kernel.toJSON(), rngAfterFit, maximised);
  } finally {
    kernel.dispose();
  }
}

/** The job's optimiser run again on its fitted kernel, for other keys taken. */
export async function rerunOptimiser(job: KernelJob, first: KernelOutcome, space: SearchSpace, taken: ReadonlySet<string>, screen: Screen, signal?: AbortSignal): Promise<KernelOutcome> {
  const kernel = LearnedKernel.fromJSON(first.kernel, `kernel ${job.index + 1}`);
  try {
    const maximised = await maximise(kernel, job, space, new Rng(first.rngAfterFit), taken, screen, signal);
    return outcome(job, first.kernel, first.rngAfterFit, maximised);
  } finally {
    kernel.dispose();
  }
}

function outcome(job: KernelJob, kernel: LearnedKernelJSON, rngAfterFit: number[], { best, considered }: Maximised): KernelOutcome {
  return { index: job.index, kernel, rngAfterFit, ...(best ? { proposal: best } : {}), considered };
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

function maximise(kernel: LearnedKernel, job: KernelJob, space: SearchSpace, rng: Rng, taken: ReadonlySet<string>, screen: Screen, signal?: AbortSignal): Promise<Maximised> {
  const { optimizer, samples, predictedReward: reward } = job.acquisition;
  // Not cached: a step scores K x M candidates, most never seen again.
  const acquisition: AcquisitionFunction = (batch) => {
    const encodings = batch.map((p) => encodeArchitecture(p.spec));
    return reward ? predictedReward(kernel, batch, encodings, reward.fBest, screen, signal) : kernel.expectedImprovement(encodings, { signal });
  };
  const admits = screen.admits;
  const admit: Admit | undefined = admits && ((batch) => admits(batch.map((p) => p.spec)));
  return maximiseAcquisition(acquisition, space, rng, taken, { optimizer, samples, proposedBy: `kernel-${job.index + 1}`, ...(admit && { admit }) });
}

/**
 * EI of f = g x a, where the kernel's GP models a = accuracy / teacher accuracy and g comes from
 * the predicted cost: f ~ N(g mu, |g| sigma), against the best f evaluated so far. The search
 * then ranks a thousand untrained candidates by what their predicted latency makes of them.
 */
async function predictedReward(kernel: LearnedKernel, batch: readonly Proposal[], encodings: EncodedArchitecture[], fBest: number, screen: Screen, signal?: AbortSignal): Promise<Float64Array> {
  // The step gives the jobs of a known cost a screen that answers it.
  const g = await screen.costFactors!(batch.map((p) => p.spec));
  const { mu, sigma } = await kernel.predict(encodings, { signal });
  return expectedImprovement(
    mu.map((m, i) => g[i] * m),
    sigma.map((s, i) => Math.abs(g[i]) * s),
    fBest,
  );
}
