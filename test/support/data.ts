// A whole split normalised as the trainer sees it (one unshuffled, unaugmented batch).
import { Dataset, Split, batches } from '../../engine/data';
import { Rng } from '../../engine/util/rng';

export function normalised(split: Split, dataset: Pick<Dataset, 'input' | 'normalisation'>): Float32Array {
  const [batch] = batches(split, { ...dataset, augment: false }, split.count, new Rng(0), { augment: false, shuffle: false });
  return batch.x.slice();
}
