// Bagging (paper section 3.2): each kernel of a step is fitted on its own random subset of the
// evaluations, so the K kernels disagree where the data is thin and propose different candidates.
import { CandidateEvent } from '../run/journal';
import { EncodedArchitecture, encodeArchitecture } from '../space/encoding';
import { candidateKey } from '../space/key';
import { Action, applyAction, SearchSpace } from '../space/space';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';

/** Architectures with their targets; the teacher first. */
export interface TrainingSet {
  encodings: EncodedArchitecture[];
  ys: number[];
}

/**
 * The teacher and each evaluated architecture kept with probability `keep`, with y = f (the
 * teacher's 0), or, given the teacher's accuracy (a cost known before training), with
 * y = accuracy / teacher accuracy (the teacher's 1). `cache` holds encodings by key.
 */
export function baggedSubset(
  space: SearchSpace,
  evaluated: readonly CandidateEvent[],
  keep: number,
  rng: Rng,
  cache: Map<string, EncodedArchitecture>,
  teacherAccuracy?: number,
): TrainingSet {
  const encodings = [encodingOf(cache, space.teacher, candidateKey(space.teacher))];
  const ys = [teacherAccuracy === undefined ? 0 : 1];
  for (const event of evaluated) {
    if (!rng.bernoulli(keep)) continue;
    encodings.push(encodingOf(cache, applyAction(space, event.action as Action), event.key));
    ys.push(teacherAccuracy === undefined ? event.f! : event.accuracy! / teacherAccuracy);
  }
  return { encodings, ys };
}

function encodingOf(cache: Map<string, EncodedArchitecture>, spec: ArchitectureSpec, key: string): EncodedArchitecture {
  let encoding = cache.get(key);
  if (!encoding) {
    encoding = encodeArchitecture(spec);
    cache.set(key, encoding);
  }
  return encoding;
}
