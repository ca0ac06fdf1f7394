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
import { Rng } from '../util/rng';
import { baggedSubset } from './bagging';
import { BiLstmJSON } from './embedding/bilstm';
import { KernelJob, KernelOutcome, rerunOptimiser, runKernelJob } from './kernel-job';
import { LearnedKernelJSON } from './kernel/learned-kernel';
import { Proposal } from './proposal';
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
  /** Called with each kernel once fitted, in kernel order (to save it). */
  onKernel?: (index: number, kernel: LearnedKernelJSON) => void;
  /** Threads fitting kernels at once: by default one per core (one on a GPU backend), at most K; 1 fits them in this thread. */
  threads?: number;
}

/** The step's proposals, at most one per kernel, in kernel order, none of them seen. */
export function kernelProposals(input: BoStepInput): Promise<Proposal[]> {
  return withSynchronousBackend(() => {
    const jobs = kernelJobs(input);
    // A GPU backend keeps the fits in this thread: threads would only queue on the same device.
    const threads = Math.min(jobs.length, input.threads ?? (isGpuBackend(tf.getBackend() as BackendName) ? 1 : availableParallelism()));
    return threads > 1 ? onThreads(input, jobs, threads) : inThisThread(input, jobs);
  });
}

/** Bagging draws first from each kernel's generator, so each job starts from its generator's state after it. */
function kernelJobs(input: BoStepInput): KernelJob[] {
  const { settings, step } = input;
  const fit = settings.kernelFit;
  return Array.from({ length: settings.kernels }, (_, index) => {
    const rng = new Rng(derivedSeed(settings.seed, 'kernel', step, index));
    const training = baggedSubset(input.space, input.evaluated, settings.subsetProbability, rng, input.encodings);
    const model: KernelJob['model'] = input.transferred
      ? { transferred: input.transferred[index % input.transferred.length] }
      : {
          fit: {
            learningRate: fit.learningRate,
            weightDecay: fit.weightDecay,
            maxSteps: fit.maxSteps,
            embedding: { layers: fit.lstmLayers, hidden: fit.hidden, inputWidth: training.encodings[0].width },
          },
        };
    return { index, rng: rng.state(), training, model, acquisition: { optimizer: settings.acquisitionOptimizer, samples: settings.acquisitionSamples } };
  });
}

/** Kernel k proposes among the candidates that neither `seen` nor kernels 1..k-1 took. */
async function inThisThread(input: BoStepInput, jobs: KernelJob[]): Promise<Proposal[]> {
  const taken = new Set(input.seen);
  const proposals: Proposal[] = [];
  for (const job of jobs) accept(input, await runKernelJob(job, input.space, taken, input.signal), taken, proposals);
  return proposals;
}

/**
 * Every kernel proposes at once, among the candidates `seen` leaves; then, in kernel order, an
 * outcome that scored a candidate an earlier kernel took is redone here with the real `taken`
 * (its fitted kernel and generator come back with it). An outcome that scored none is what the
 * kernel would have proposed in turn, so the step ends exactly as one run kernel after kernel.
 */
async function onThreads(input: BoStepInput, jobs: KernelJob[], threads: number): Promise<Proposal[]> {
  const { space, signal } = input;
  const setup = { backend: tf.getBackend() as BackendName, teacher: space.teacher, spaceOptions: space.options, taken: [...input.seen] };
  const outcomes = await runOnThreads(jobs, setup, threads, signal);
  const taken = new Set(input.seen);
  const proposals: Proposal[] = [];
  for (const job of jobs) {
    let outcome = outcomes[job.index];
    if (proposals.some((p) => outcome.scored.includes(p.key))) outcome = await rerunOptimiser(job, outcome, space, taken, signal);
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
