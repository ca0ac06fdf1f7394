// The random-search baseline (the paper's "RS"): evaluate N distinct random candidates and keep
// the best by f. Its candidate draw is also what seeds the Bayesian optimisation.
import { Evaluator, EvaluationResult } from '../evaluation/types';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';
import { candidateKey } from './key';
import { reward } from './reward';
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

export interface EvaluatedCandidate extends DrawnCandidate {
  result: EvaluationResult;
  /** f, for a successful evaluation. */
  f?: number;
}

export interface RandomSearchProgress {
  /** Evaluations finished, and how many there will be. */
  done: number;
  total: number;
  latest: EvaluatedCandidate;
  best?: EvaluatedCandidate;
}

export interface RandomSearchOptions {
  space: SearchSpace;
  evaluator: Evaluator;
  /** A(teacher) on the validation split. */
  teacherAccuracy: number;
  /** How many candidates to evaluate (the authors: 160). */
  count: number;
  rng: Rng;
  signal?: AbortSignal;
  onProgress?: (progress: RandomSearchProgress) => void;
}

export interface RandomSearchResult {
  /** Finished evaluations, in draw order. */
  evaluated: EvaluatedCandidate[];
  best?: EvaluatedCandidate;
  /** True when the signal stopped it; `evaluated` then holds what finished before. */
  cancelled: boolean;
}

// Ties go to the earlier draw, so the outcome does not depend on evaluation timing.
function beats(a: EvaluatedCandidate, aIndex: number, b: EvaluatedCandidate | undefined, bIndex: number): boolean {
  if (a.f === undefined) return false;
  if (b?.f === undefined) return true;
  return a.f > b.f || (a.f === b.f && aIndex < bIndex);
}

/**
 * Draws all candidates first (so the seed alone fixes them, whatever the evaluation timing), then
 * keeps `evaluator.concurrency` evaluations in flight. f uses the spec's parameter count for the
 * candidate and the teacher alike, so an evaluator's own count cannot skew C.
 */
export async function randomSearch(options: RandomSearchOptions): Promise<RandomSearchResult> {
  const { space, evaluator, signal } = options;
  const teacher = { cost: space.teacherParams, accuracy: options.teacherAccuracy };
  const drawn = drawCandidates(space, options.rng, options.count);
  const finished: Array<EvaluatedCandidate | undefined> = new Array(drawn.length);
  let best: EvaluatedCandidate | undefined;
  let bestIndex = -1;
  let done = 0;
  let next = 0;

  const worker = async () => {
    while (next < drawn.length && !signal?.aborted) {
      const index = next++;
      const candidate = drawn[index];
      let result: EvaluationResult;
      try {
        result = await evaluator.evaluate({ name: candidate.spec.name, spec: candidate.spec }, signal);
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      const f = result.status === 'ok' ? reward({ cost: candidate.params, accuracy: result.accuracy }, teacher) : undefined;
      const evaluated: EvaluatedCandidate = { ...candidate, result, ...(f !== undefined && { f }) };
      finished[index] = evaluated;
      if (beats(evaluated, index, best, bestIndex)) {
        best = evaluated;
        bestIndex = index;
      }
      done++;
      options.onProgress?.({ done, total: drawn.length, latest: evaluated, best });
    }
  };
  const workers = Math.max(1, Math.min(evaluator.concurrency, drawn.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    evaluated: finished.filter((e): e is EvaluatedCandidate => e !== undefined),
    ...(best && { best }),
    cancelled: signal?.aborted ?? false,
  };
}
