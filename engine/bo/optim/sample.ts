// The authors' acquisition maximiser: score M random candidates, keep the best.
import { SearchSpace } from '../../space/space';
import { Rng } from '../../util/rng';
import { drawAdmitted, Proposal } from '../proposal';
import { AcquisitionFunction, OptimiserOptions, scoreBatch } from './acquisition-function';

export async function maximiseBySampling(acquisition: AcquisitionFunction, space: SearchSpace, rng: Rng, taken: ReadonlySet<string>, options: OptimiserOptions): Promise<Proposal[]> {
  return scoreBatch(acquisition, await drawAdmitted(space, rng, options.samples, taken, options.proposedBy, options.admit));
}
