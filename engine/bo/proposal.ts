// What a BO step hands the search loop: candidates with who proposed them, and the random draws
// that seed the search (step 1, the random-search baseline, and a step's fill-up).
import { drawCandidates } from '../space/draw';
import { Action, SearchSpace } from '../space/space';
import { ArchitectureSpec } from '../architecture/types';
import { CandidateFilter } from '../cost/budgets';
import { Rng } from '../util/rng';
import { screenOf } from './screen';

export interface Proposal {
  action: Action;
  spec: ArchitectureSpec;
  key: string;
  proposedBy: string;
  /** Expected improvement under the proposing kernel (BO proposals only). */
  expectedImprovement?: number;
}

/** Which candidates of a batch may be proposed (the run's budgets), in batch order. */
export type Admit = (batch: readonly Proposal[]) => Promise<boolean[]>;

/** Rounds of draws replacing rejected candidates, before a budget is taken to admit too few. */
const FILTER_ROUNDS = 20;

/**
 * `count` random architectures new to `seen` that the budget filter admits (fewer when the space
 * runs out): rejected draws are replaced by fresh ones, so a budget never reaches the acquisition.
 */
export function randomProposals(
  space: SearchSpace,
  rng: Rng,
  count: number,
  seen: ReadonlySet<string>,
  proposedBy = 'random',
  filter?: CandidateFilter,
  signal?: AbortSignal,
): Promise<Proposal[]> {
  const admits = filter && screenOf(filter, undefined, signal).admits!;
  return drawAdmitted(space, rng, count, seen, proposedBy, admits && ((batch) => admits(batch.map((p) => p.spec))));
}

/** randomProposals with the budgets as an Admit (absent: every draw is admitted). */
export async function drawAdmitted(space: SearchSpace, rng: Rng, count: number, seen: ReadonlySet<string>, proposedBy: string, admit?: Admit): Promise<Proposal[]> {
  const drawn = (exclude: Iterable<string>, n: number): Proposal[] => drawCandidates(space, rng, n, exclude).map(({ action, spec, key }) => ({ action, spec, key, proposedBy }));
  if (!admit) return drawn(seen, count);
  const excluded = new Set(seen);
  const admitted: Proposal[] = [];
  for (let round = 0; round < FILTER_ROUNDS && admitted.length < count; round++) {
    const batch = drawn(excluded, count - admitted.length);
    if (batch.length === 0) break;
    admitted.push(...(await admissible(batch, admit)));
    for (const p of batch) excluded.add(p.key);
  }
  return admitted;
}

/** The proposals within the budgets, in their order. */
export async function admissible(batch: Proposal[], admit: Admit): Promise<Proposal[]> {
  const admitted = await admit(batch);
  return batch.filter((_, i) => admitted[i]);
}
