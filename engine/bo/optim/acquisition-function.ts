// What an acquisition optimiser sees of the surrogate: a function from candidates to values.
import { AcquisitionOptimizer } from '../../run/settings';
import { Admit, Proposal } from '../proposal';

/** Acquisition values of a batch of candidates, in batch order; higher is better. */
export type AcquisitionFunction = (batch: readonly Proposal[]) => Promise<Float64Array>;

export interface OptimiserOptions {
  optimizer: AcquisitionOptimizer;
  /** M: how many candidates the optimiser may score. */
  samples: number;
  proposedBy: string;
  /** The budgets: candidates they reject are never scored. */
  admit?: Admit;
}

/** The batch with its acquisition values in `expectedImprovement`. */
export async function scoreBatch(acquisition: AcquisitionFunction, batch: Proposal[]): Promise<Proposal[]> {
  if (batch.length === 0) return [];
  const values = await acquisition(batch);
  return batch.map((p, i) => ({ ...p, expectedImprovement: values[i] }));
}
