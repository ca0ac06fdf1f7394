// Where each step's candidates come from: random draws from the search space (step 1, and the
// random-search baseline), or one proposal per learned kernel (the paper's Algorithm 1). Every
// proposal is a pure function of the run's seed, the step and the evaluations of earlier steps,
// so a resumed run proposes exactly what the interrupted one would have.
import { withSynchronousBackend } from '../backend';
import { BiLstmEmbedding } from './embedding/bilstm';
import { DEFAULT_GP_OPTIONS } from './gp/gp';
import { fitKernel, KernelFitOptions, LearnedKernel } from './kernel/learned-kernel';
import { CandidateEvent } from '../run/journal';
import { derivedSeed, SearchSettings } from '../run/settings';
import { candidateKey } from '../space/key';
import { drawCandidates } from '../space/draw';
import { Action, applyAction, mutateAction, SearchSpace } from '../space/space';
import { EncodedArchitecture, encodeArchitecture } from '../space/encoding';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';

export interface Proposal {
  action: Action;
  spec: ArchitectureSpec;
  key: string;
  proposedBy: string;
  /** Expected improvement under the proposing kernel (BO proposals only). */
  expectedImprovement?: number;
}

/** `count` random architectures new to `seen` (fewer when the space runs out). */
export function randomProposals(space: SearchSpace, rng: Rng, count: number, seen: ReadonlySet<string>, proposedBy = 'random'): Proposal[] {
  return drawCandidates(space, rng, count, seen).map(({ action, spec, key }) => ({ action, spec, key, proposedBy }));
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

/** The teacher (y = 0) and each evaluated architecture kept with the subset probability. */
function baggedSubset(input: KernelStepInput, rng: Rng): { encodings: EncodedArchitecture[]; ys: number[] } {
  const teacher = encodingOf(input.encodings, input.space.teacher, candidateKey(input.space.teacher));
  const encodings = [teacher];
  const ys = [0];
  for (const event of input.evaluated) {
    if (!rng.bernoulli(input.settings.subsetProbability)) continue;
    encodings.push(encodingOf(input.encodings, applyAction(input.space, event.action as Action), event.key));
    ys.push(event.f!);
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
      : await score(kernel, input, randomProposals(input.space, rng, input.settings.acquisitionSamples, taken, proposedBy));
  let best: Proposal | undefined;
  for (const p of scored) if (best === undefined || p.expectedImprovement! > best.expectedImprovement!) best = p;
  return best;
}

async function score(kernel: LearnedKernel, input: KernelStepInput, batch: Proposal[]): Promise<Proposal[]> {
  if (batch.length === 0) return [];
  // Not cached: a step scores K x M candidates, most never seen again.
  const ei = await kernel.expectedImprovement(
    batch.map((p) => encodeArchitecture(p.spec)),
    { signal: input.signal },
  );
  return batch.map((p, i) => ({ ...p, expectedImprovement: ei[i] }));
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
  let batch = randomProposals(space, rng, perGeneration, seen, proposedBy);
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
