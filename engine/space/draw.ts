// Drawing distinct random candidates: the random-search baseline (search method 'random'), the
// first step of the Bayesian optimisation and `esnac sample`.
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';
import { candidateKey } from './key';
import { Action, sampleCandidate, SearchSpace } from './space';

export interface DrawnCandidate {
  action: Action;
  spec: ArchitectureSpec;
  key: string;
  params: number;
}

/**
 * Up to `count` candidates whose structures differ from each other, from the teacher and from
 * `exclude` (keys). Stops early after `count * 100` draws, when the space has too few left.
 */
export function drawCandidates(space: SearchSpace, rng: Rng, count: number, exclude: Iterable<string> = []): DrawnCandidate[] {
  const seen = new Set(exclude);
  seen.add(candidateKey(space.teacher));
  const drawn: DrawnCandidate[] = [];
  for (let tries = 0; drawn.length < count && tries < count * 100; tries++) {
    const { action, spec } = sampleCandidate(space, rng);
    const key = candidateKey(spec);
    if (seen.has(key)) continue;
    seen.add(key);
    drawn.push({ action, spec, key, params: inferShapes(spec).params });
  }
  return drawn;
}
