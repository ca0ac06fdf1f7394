// What a network's input is made of: how pixels are normalised and whether training batches are
// augmented. Chosen per run (or recorded with a teacher's weights), printed, and carried with
// the students, so a network is never fed inputs normalised other than as it was trained.
import { AugmentChoice, Normalisation } from '../../protocol';
import { UserError } from '../util/errors';

export { AUGMENT_CHOICES, describeNormalisation } from '../../protocol';
export type { AugmentChoice } from '../../protocol';

/** The rule of the dataset's own statistics, which loadDataset uses when given none. */
export const DATASET_STATISTICS = 'dataset';

/** torchvision's ImageNet statistics (torchvision.models' weights expect them). */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const FORMS_TEXT = "dataset (the training split's statistics), none (pixels in [0, 1]), imagenet, or MEAN/STD (one number each, or one per channel separated by commas, e.g. 0.5/0.25 or 0.49,0.48,0.45/0.25,0.24,0.26)";

function numbers(text: string, rule: string): number[] {
  const fields = text.split(',').map((s) => s.trim());
  const values = fields.map(Number);
  if (fields.some((f, i) => f === '' || !Number.isFinite(values[i]))) throw new UserError(`--normalise ${rule}: "${text}" is not a list of numbers; expected ${FORMS_TEXT}`);
  return values;
}

/** Checks a --normalise value; a UserError naming the accepted forms. */
export function checkNormaliseRule(rule: string): void {
  parseFixedNormalisation(rule, undefined);
}

/**
 * The fixed mean and std of a rule for `channels` channels (`undefined` channels: only checks the
 * text); `undefined` for `dataset`, whose numbers come from the training split.
 */
export function parseFixedNormalisation(rule: string, channels: number | undefined): Normalisation | undefined {
  if (rule === DATASET_STATISTICS) return undefined;
  const width = (values: number[], what: string): number[] => {
    if (channels === undefined) return values;
    if (values.length === 1) return Array.from({ length: channels }, () => values[0]);
    if (values.length !== channels) throw new UserError(`--normalise ${rule}: ${values.length} ${what} values for ${channels} channel(s)`);
    return values;
  };
  if (rule === 'none') return { rule, mean: width([0], 'mean'), std: width([1], 'std') };
  if (rule === 'imagenet') {
    if (channels !== undefined && channels !== 3) throw new UserError(`--normalise imagenet is for RGB images; these have ${channels} channel(s)`);
    return { rule, ...IMAGENET };
  }
  const parts = rule.split('/');
  if (parts.length !== 2) throw new UserError(`--normalise "${rule}": expected ${FORMS_TEXT}`);
  const mean = width(numbers(parts[0], rule), 'mean');
  const std = width(numbers(parts[1], rule), 'std');
  if (std.some((s) => !(s > 0))) throw new UserError(`--normalise ${rule}: every std must be > 0`);
  return { rule, mean, std };
}

/** Whether training batches are augmented: `auto` follows the dataset's kind. */
export function resolveAugment(choice: AugmentChoice, datasetDefault: boolean): boolean {
  return choice === 'auto' ? datasetDefault : choice === 'crop-flip';
}
