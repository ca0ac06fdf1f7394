// What a BO step hands the search loop: candidates with who proposed them, and the random draws
// that seed the search (step 1, the random-search baseline, and a step's fill-up).
import { drawCandidates } from '../space/draw';
import { Action, SearchSpace } from '../space/space';
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
