// Maximising an acquisition function over the search space (BoTorch's optim/ beside its
// acquisition/, Optuna's optim_sample beside acqf): an optimiser sees the acquisition only as a
// function from candidates to values, and the surrogate behind it not at all.
import { SearchSpace } from '../../space/space';
import { AcquisitionOptimizer } from '../../run/settings';
import { Rng } from '../../util/rng';
import { Admit, Proposal } from '../proposal';
import { AcquisitionFunction, OptimiserOptions } from './acquisition-function';
import { maximiseByEvolution } from './evolution';
import { maximiseBySampling } from './sample';

export interface Maximised {
  /** The best candidate scored, its value in `expectedImprovement`; none when every candidate is taken. */
  best?: Proposal;
  /**
   * The key of every candidate the optimiser drew and did not find taken: scored, or rejected by
   * the budgets. An optimiser looks a key up in `taken` only to skip it, so with more keys taken,
   * none of them these, it does exactly the same.
   */
  considered: string[];
}

/** One optimiser's search: the scored candidates, their values in `expectedImprovement`. */
export type Optimiser = (acquisition: AcquisitionFunction, space: SearchSpace, rng: Rng, taken: ReadonlySet<string>, options: OptimiserOptions) => Promise<Proposal[]>;

const OPTIMISERS: Record<AcquisitionOptimizer, Optimiser> = { random: maximiseBySampling, evolution: maximiseByEvolution };

/** The candidate with the highest acquisition value among those the optimiser scores, none of them taken. */
export async function maximiseAcquisition(
  acquisition: AcquisitionFunction,
  space: SearchSpace,
  rng: Rng,
  taken: ReadonlySet<string>,
  options: OptimiserOptions,
): Promise<Maximised> {
  // Every candidate goes through the budgets before it is scored, those they reject too.
  const considered = new Set<string>();
  const admit: Admit | undefined =
    options.admit &&
    ((batch) => {
      for (const p of batch) considered.add(p.key);
      return options.admit!(batch);
    });
  const scored = await OPTIMISERS[options.optimizer](acquisition, space, rng, taken, { ...options, ...(admit && { admit }) });
  let best: Proposal | undefined;
  for (const p of scored) {
    considered.add(p.key);
    if (best === undefined || p.expectedImprovement! > best.expectedImprovement!) best = p;
  }
  return { ...(best ? { best } : {}), considered: [...considered] };
}
