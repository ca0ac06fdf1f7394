// Where each step's candidates come from: random draws from the search space (step 1, and the
// random-search baseline), or one proposal per learned kernel (the paper's Algorithm 1). Every
// proposal is a pure function of the run's seed, the step and the evaluations of earlier steps,
// so a resumed run proposes exactly what the interrupted one would have.
import { withSynchronousBackend } from '../backend';
import { BiLstmEmbedding } from './embedding/bilstm';
import { expectedImprovement } from './gp/acquisition';
import { DEFAULT_GP_OPTIONS } from './gp/gp';
import { fitKernel, KernelFitOptions, LearnedKernel } from './kernel/learned-kernel';
import { CandidateEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { candidateKey } from '../space/key';
import { drawCandidates } from '../space/draw';
import { Action, applyAction, mutateAction, SearchSpace } from '../space/space';
import { EncodedArchitecture, encodeArchitecture } from '../space/encoding';
import { ArchitectureSpec } from '../architecture/types';
import { CandidateFilter } from '../cost/budgets';
import { Rng } from '../util/rng';

export interface Proposal {
  action: Action;
  spec: ArchitectureSpec;
  key: string;
  proposedBy: string;
  /** Expected improvement under the proposing kernel (BO proposals only). */
  expectedImprovement?: number;
}

/** Rounds of draws replacing rejected candidates, before a budget is taken to admit too few. */
const FILTER_ROUNDS = 20;

/**
 * `count` random architectures new to `seen` that the budget filter admits (fewer when the space
 * runs out): rejected draws are replaced by fresh ones, so a budget never reaches the acquisition.
 */
export async function randomProposals(
  space: SearchSpace,
  rng: Rng,
  count: number,
  seen: ReadonlySet<string>,
  proposedBy = 'random',
  filter?: CandidateFilter,
  signal?: AbortSignal,
): Promise<Proposal[]> {
  const drawn = (exclude: Iterable<string>, n: number) => drawCandidates(space, rng, n, exclude).map(({ action, spec, key }) => ({ action, spec, key, proposedBy }));
  if (!filter) return drawn(seen, count);
  const excluded = new Set(seen);
  const admitted: Proposal[] = [];
  for (let round = 0; round < FILTER_ROUNDS && admitted.length < count; round++) {
    const batch = drawn(excluded, count - admitted.length);
    if (batch.length === 0) break;
    admitted.push(...(await admissible(batch, filter, signal)));
    for (const p of batch) excluded.add(p.key);
  }
  return admitted;
}

/** The proposals within the budgets, in their order. */
async function admissible(batch: Proposal[], filter: CandidateFilter, signal?: AbortSignal): Promise<Proposal[]> {
  await filter.prepare(batch.map((p) => p.spec), signal);
  return batch.filter((p) => filter.admits(p.spec));
}

export interface KernelStepInput {
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
  transferred?: BiLstmEmbedding[];
  signal?: AbortSignal;
  /** Budgets: candidates it rejects are never scored nor proposed. */
  filter?: CandidateFilter;
  /** A cost known before training (latency predicted by the per-layer table): see predictedReward. */
  knownCost?: KnownCost;
  /** Called with each kernel once fitted, before it is disposed (to save it). */
  onKernel?: (index: number, kernel: LearnedKernel) => void;
}

/** One BO step: K kernels, each fitted on a bagged subset, each proposing its EI maximiser. */
export function kernelProposals(input: KernelStepInput): Promise<Proposal[]> {
  return withSynchronousBackend(() => proposeWithKernels(input));
}

async function proposeWithKernels(input: KernelStepInput): Promise<Proposal[]> {
  const { settings, step } = input;
  const proposals: Proposal[] = [];
  const taken = new Set(input.seen);
  for (let k = 0; k < settings.kernels; k++) {
    const rng = new Rng(derivedSeed(settings.seed, 'kernel', step, k));
    const kernel = await kernelFor(input, k, rng);
    try {
      input.onKernel?.(k, kernel);
      const proposal = await maximiseExpectedImprovement(kernel, input, rng, taken, `kernel-${k + 1}`);
      if (proposal) {
        taken.add(proposal.key);
        proposals.push(proposal);
      }
    } finally {
      kernel.dispose();
    }
  }
  return proposals;
}

/**
 * The teacher and each evaluated architecture kept with the subset probability, with y = f (the
 * teacher's 0), or with a known cost y = accuracy / teacher accuracy (the teacher's 1).
 */
function baggedSubset(input: KernelStepInput, rng: Rng): { encodings: EncodedArchitecture[]; ys: number[] } {
  const teacher = encodingOf(input.encodings, input.space.teacher, candidateKey(input.space.teacher));
  const known = input.knownCost;
  const encodings = [teacher];
  const ys = [known ? 1 : 0];
  for (const event of input.evaluated) {
    if (!rng.bernoulli(input.settings.subsetProbability)) continue;
    encodings.push(encodingOf(input.encodings, applyAction(input.space, event.action as Action), event.key));
    ys.push(known ? event.accuracy! / known.teacherAccuracy : event.f!);
  }
  return { encodings, ys };
}

async function kernelFor(input: KernelStepInput, k: number, rng: Rng): Promise<LearnedKernel> {
  const { encodings, ys } = baggedSubset(input, rng);
  const fit = input.settings.kernelFit;
  if (input.transferred) {
    const source = input.transferred[k % input.transferred.length];
    return conditionKernel(BiLstmEmbedding.fromJSON(source.toJSON(), 'transferred kernel'), encodings, ys);
  }
  const options: Partial<KernelFitOptions> = {
    learningRate: fit.learningRate,
    weightDecay: fit.weightDecay,
    maxSteps: fit.maxSteps,
    embedding: { layers: fit.lstmLayers, hidden: fit.hidden, inputWidth: encodings[0].width },
  };
  return fitKernel(encodings, ys, options, rng, input.signal);
}

/** A kernel with a given (transferred) embedding, its GP conditioned on this run's data. */
async function conditionKernel(embedding: BiLstmEmbedding, encodings: EncodedArchitecture[], ys: number[]): Promise<LearnedKernel> {
  const e = embedding.embed(encodings);
  try {
    return new LearnedKernel(embedding, Float64Array.from(await e.data()), Float64Array.from(ys), DEFAULT_GP_OPTIONS);
  } finally {
    e.dispose();
  }
}

/** The candidate with the highest EI among M scored, none of them seen or taken yet. */
async function maximiseExpectedImprovement(
  kernel: LearnedKernel,
  input: KernelStepInput,
  rng: Rng,
  taken: ReadonlySet<string>,
  proposedBy: string,
): Promise<Proposal | undefined> {
  const scored =
    input.settings.acquisitionOptimizer === 'evolution'
      ? await evolve(kernel, input, rng, taken, proposedBy)
      : await score(kernel, input, await randomProposals(input.space, rng, input.settings.acquisitionSamples, taken, proposedBy, input.filter, input.signal));
  let best: Proposal | undefined;
  for (const p of scored) if (best === undefined || p.expectedImprovement! > best.expectedImprovement!) best = p;
  return best;
}

async function score(kernel: LearnedKernel, input: KernelStepInput, batch: Proposal[]): Promise<Proposal[]> {
  if (batch.length === 0) return [];
  // Not cached: a step scores K x M candidates, most never seen again.
  const encodings = batch.map((p) => encodeArchitecture(p.spec));
  const ei = input.knownCost
    ? await predictedReward(kernel, input, batch, encodings, input.knownCost)
    : await kernel.expectedImprovement(encodings, { signal: input.signal });
  return batch.map((p, i) => ({ ...p, expectedImprovement: ei[i] }));
}

/** A cost predicted before training: g = C (2 - C) per candidate, from its predicted cost. */
export interface KnownCost {
  teacherAccuracy: number;
  /** Makes factor() answerable for these specs (measures the table's missing units). */
  prepare(specs: ArchitectureSpec[], signal?: AbortSignal): Promise<void>;
  factor(spec: ArchitectureSpec): number;
}

/**
 * EI of f = g x a, where the kernel's GP models a = accuracy / teacher accuracy and g comes from
 * the predicted cost: f ~ N(g mu, |g| sigma), against the best f evaluated so far. The search
 * then ranks a thousand untrained candidates by what their predicted latency makes of them.
 */
async function predictedReward(kernel: LearnedKernel, input: KernelStepInput, batch: Proposal[], encodings: EncodedArchitecture[], known: KnownCost): Promise<Float64Array> {
  await known.prepare(batch.map((p) => p.spec), input.signal);
  const { mu, sigma } = await kernel.predict(encodings, { signal: input.signal });
  const g = batch.map((p) => known.factor(p.spec));
  const fBest = Math.max(0, ...input.evaluated.map((e) => e.f!));
  return expectedImprovement(
    mu.map((m, i) => g[i] * m),
    sigma.map((s, i) => Math.abs(g[i]) * s),
    fBest,
  );
}

const GENERATIONS = 5;
const PARENTS = 10;

/**
 * The evolutionary maximiser (the paper's alternative, with similar results): the same budget of
 * M scored candidates spent over generations, each generation mutating the best so far.
 */
async function evolve(kernel: LearnedKernel, input: KernelStepInput, rng: Rng, taken: ReadonlySet<string>, proposedBy: string): Promise<Proposal[]> {
  const { space } = input;
  const perGeneration = Math.ceil(input.settings.acquisitionSamples / GENERATIONS);
  const seen = new Set(taken);
  const scored: Proposal[] = [];
  let batch = await randomProposals(space, rng, perGeneration, seen, proposedBy, input.filter, input.signal);
  for (let generation = 1; batch.length > 0; generation++) {
    scored.push(...(await score(kernel, input, batch)));
    for (const p of batch) seen.add(p.key);
    if (generation === GENERATIONS) break;
    const parents = [...scored].sort((a, b) => b.expectedImprovement! - a.expectedImprovement!).slice(0, PARENTS);
    batch = [];
    for (let tries = 0; batch.length < perGeneration && tries < 10 * perGeneration; tries++) {
      const action = mutateAction(space, rng.pick(parents).action, rng);
      const spec = applyAction(space, action);
      const key = candidateKey(spec);
      if (seen.has(key)) continue;
      seen.add(key);
      batch.push({ action, spec, key, proposedBy });
    }
    if (input.filter) batch = await admissible(batch, input.filter, input.signal);
  }
  return scored;
}

function encodingOf(cache: Map<string, EncodedArchitecture>, spec: ArchitectureSpec, key: string): EncodedArchitecture {
  let encoding = cache.get(key);
  if (!encoding) {
    encoding = encodeArchitecture(spec);
    cache.set(key, encoding);
  }
  return encoding;
}
