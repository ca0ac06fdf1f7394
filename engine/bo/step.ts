// One BO step (the paper's Algorithm 1): K kernels, each fitted on a bagged subset, each proposing
// its expected-improvement maximiser. The K fits run at once on worker threads where the machine
// has the cores. Every proposal is a pure function of the run's seed, the step and the evaluations
// of earlier steps, so a resumed run proposes exactly what the interrupted one would have.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { BackendName, isGpuBackend, withSynchronousBackend } from '../backend';
import { CandidateEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { EncodedArchitecture } from '../space/encoding';
import { SearchSpace } from '../space/space';
import { CandidateFilter } from '../cost/budgets';
import { Rng } from '../util/rng';
import { baggedSubset } from './bagging';
import { BiLstmJSON } from './embedding/bilstm';
import { KernelJob, KernelOutcome, rerunOptimiser, runKernelJob } from './kernel-job';
import { KernelFitOptions, LearnedKernelJSON } from './kernel/learned-kernel';
import { Proposal } from './proposal';
import { KnownCost, Screen, screenOf } from './screen';
import { runOnThreads } from './threads/pool';

export interface BoStepInput {
  space: SearchSpace;
  settings: SearchSettings;
  step: number;
  /** Successful evaluations of earlier steps, in a canonical order (step, then name). */
  evaluated: CandidateEvent[];
  /** Keys of every architecture evaluated or failed so far: never proposed again. */
  seen: ReadonlySet<string>;
  /** Encodings of the teacher and the evaluated architectures by key, filled on first use. */
  encodings: Map<string, EncodedArchitecture>;
  /** Saved embeddings to use instead of fitting kernels (kernel transfer, paper 4.3). */
  transferred?: readonly BiLstmJSON[];
  signal?: AbortSignal;
  /** Budgets: candidates it rejects are never scored nor proposed. */
  filter?: CandidateFilter;
  /** A cost known before training (latency predicted by the per-layer table): see kernel-job's predictedReward. */
  knownCost?: KnownCost;
  /**
   * Whether the filter or the known cost time candidates on this machine (the latency table
   * measures the units it lacks): the kernels then stay in this thread, so no thread runs beside a timing.
   */
  timesCandidates?: boolean;
  /** Called with each kernel once fitted, in kernel order (to save it). */
  onKernel?: (index: number, kernel: LearnedKernelJSON) => void;
  /** Threads fitting kernels at once: by default one per core (one on a GPU backend or where the step times candidates), at most K; 1 fits them in this thread. */
  threads?: number;
}

/** The step's proposals, at most one per kernel, in kernel order, none of them seen. */
export function kernelProposals(input: BoStepInput): Promise<Proposal[]> {
  return withSynchronousBackend(() => {
    const jobs = kernelJobs(input);
    const screen = screenOf(input.filter, input.knownCost, input.signal);
    const threads = Math.min(jobs.length, input.threads ?? kernelThreads(jobs.length, input.timesCandidates));
    return threads > 1 ? onThreads(input, jobs, screen, threads) : inThisThread(input, jobs, screen);
  });
}

/** Threads a step fits its `kernels` on by default (see BoStepInput.threads); on the backend in use. */
export function kernelThreads(kernels: number, timesCandidates = false): number {
  // A GPU backend keeps the fits in this thread: threads would only queue on the same device.
  const oneThread = timesCandidates || isGpuBackend(tf.getBackend() as BackendName);
  return Math.min(kernels, oneThread ? 1 : availableParallelism());
}

/** How a step fits each fresh kernel: the run's kernel-fit settings, over encodings `inputWidth` wide. */
export function kernelFitOptions(fit: SearchSettings['kernelFit'], inputWidth: number): Partial<KernelFitOptions> {
  return {
    learningRate: fit.learningRate,
    weightDecay: fit.weightDecay,
    maxSteps: fit.maxSteps,
    embedding: { layers: fit.lstmLayers, hidden: fit.hidden, inputWidth },
  };
}

/** Bagging draws first from each kernel's generator, so each job starts from its generator's state after it. */
function kernelJobs(input: BoStepInput): KernelJob[] {
  const { settings, step, knownCost } = input;
  const acquisition: KernelJob['acquisition'] = {
    optimizer: settings.acquisitionOptimizer,
    samples: settings.acquisitionSamples,
    ...(knownCost && { predictedReward: { fBest: Math.max(0, ...input.evaluated.map((e) => e.f!)) } }),
  };
  return Array.from({ length: settings.kernels }, (_, index) => {
    const rng = new Rng(derivedSeed(settings.seed, 'kernel', step, index));
    const training = baggedSubset(input.space, input.evaluated, settings.subsetProbability, rng, input.encodings, knownCost?.teacherAccuracy);
    const model: KernelJob['model'] = input.transferred
      ? { transferred: input.transferred[index % input.transferred.length] }
      : { fit: kernelFitOptions(settings.kernelFit, training.encodings[0].width) };
    return { index, rng: rng.state(), training, model, acquisition };
  });
}

/** Kernel k proposes among the candidates that neither `seen` nor kernels 1..k-1 took. */
async function inThisThread(input: BoStepInput, jobs: KernelJob[], screen: Screen): Promise<Proposal[]> {
  const taken = new Set(input.seen);
  const proposals: Proposal[] = [];
  for (const job of jobs) accept(input, await runKernelJob(job, input.space, taken, screen, input.signal), taken, proposals);
  return proposals;
}

/**
 * Every kernel proposes at once, among the candidates `seen` leaves; then, in kernel order, an
 * outcome that considered a candidate an earlier kernel took is redone here with the real `taken`
 * (its fitted kernel and generator come back with it). An outcome that considered none is what
 * the kernel would have proposed in turn, so the step ends exactly as one run kernel after kernel.
 * The threads ask the screen's questions of this thread.
 */
async function onThreads(input: BoStepInput, jobs: KernelJob[], screen: Screen, threads: number): Promise<Proposal[]> {
  const { space, signal } = input;
  const setup = { backend: tf.getBackend() as BackendName, teacher: space.teacher, spaceOptions: space.options, taken: [...input.seen] };
  const outcomes = await runOnThreads(jobs, setup, screen, threads, signal);
  const taken = new Set(input.seen);
  const proposals: Proposal[] = [];
  for (const job of jobs) {
    let outcome = outcomes[job.index];
    if (proposals.some((p) => outcome.considered.includes(p.key))) outcome = await rerunOptimiser(job, outcome, space, taken, screen, signal);
    accept(input, outcome, taken, proposals);
  }
  return proposals;
}

function accept(input: BoStepInput, outcome: KernelOutcome, taken: Set<string>, proposals: Proposal[]): void {
  input.onKernel?.(outcome.index, outcome.kernel);
  if (!outcome.proposal) return;
  taken.add(outcome.proposal.key);
  proposals.push(outcome.proposal);
}
