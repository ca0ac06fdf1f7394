// Which evaluator trains the candidates of a run (protocol EvaluatorSettings), recorded in run.json
// with the other settings: the built-in tfjs workers, a user's command per candidate, or a Slurm
// job per candidate.
import type { EvaluatorSettings } from '../../protocol';
import { DEFAULT_SETTINGS } from '../run/settings';

export { EVALUATOR_KINDS } from '../../protocol';
export type { EvaluatorKind, EvaluatorSettings } from '../../protocol';

export const DEFAULT_EVALUATOR: EvaluatorSettings = DEFAULT_SETTINGS.evaluator;

/** The settings of a run, whose run.json may predate the evaluator block or hold only part of it. */
export function evaluatorSettings(recorded: Partial<EvaluatorSettings> | undefined): EvaluatorSettings {
  return { ...DEFAULT_EVALUATOR, ...recorded };
}
