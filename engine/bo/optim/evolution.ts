// The evolutionary acquisition maximiser (the paper's alternative, with similar results): the
// same budget of M scored candidates spent over generations, each generation mutating the best so far.
import { candidateKey } from '../../space/key';
import { applyAction, mutateAction, SearchSpace } from '../../space/space';
import { Rng } from '../../util/rng';
import { admissible, drawAdmitted, Proposal } from '../proposal';
import { AcquisitionFunction, OptimiserOptions, scoreBatch } from './acquisition-function';

const GENERATIONS = 5;
const PARENTS = 10;

export async function maximiseByEvolution(
  acquisition: AcquisitionFunction,
  space: SearchSpace,
  rng: Rng,
  taken: ReadonlySet<string>,
  options: OptimiserOptions,
): Promise<Proposal[]> {
  const { proposedBy, admit } = options;
  const perGeneration = Math.ceil(options.samples / GENERATIONS);
  const seen = new Set(taken);
  const scored: Proposal[] = [];
  let batch = await drawAdmitted(space, rng, perGeneration, seen, proposedBy, admit);
  for (let generation = 1; batch.length > 0; generation++) {
    scored.push(...(await scoreBatch(acquisition, batch)));
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
    if (admit) batch = await admissible(batch, admit);
  }
  return scored;
}
