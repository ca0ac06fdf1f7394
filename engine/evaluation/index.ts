// Evaluators besides the local tfjs workers (engine/evaluation/local/pool.ts): chosen per run by the
// settings' `evaluator` block.
import { UserError } from '../util/errors';
import { CommandRunner, CommandTemplate } from './command';
import { ExternalEvaluator, ExternalSetup, Runner } from './external';
import { EVALUATOR_KINDS, EvaluatorSettings, evaluatorSettings } from './settings';
import { loadJobTemplate, SlurmRunner } from './slurm';
import { Evaluator } from './types';

export type { ExternalSetup } from './external';
export { DEFAULT_EVALUATOR, EVALUATOR_KINDS, evaluatorSettings } from './settings';
export type { EvaluatorKind, EvaluatorSettings } from './settings';

/** Whether the run's candidates train outside the engine (a command or Slurm: no fine-tuning). */
export function isExternal(settings: ExternalSetup['settings']): boolean {
  const { kind } = evaluatorSettings(settings.evaluator);
  return kind === 'command' || kind === 'slurm';
}

/** The evaluator settings with defaults filled in; a UserError for a bad value or command template. */
export function checkedEvaluatorSettings(recorded: Partial<EvaluatorSettings> | undefined): EvaluatorSettings {
  const settings = evaluatorSettings(recorded);
  if (!(EVALUATOR_KINDS as readonly string[]).includes(settings.kind)) throw new UserError(`unknown evaluator "${settings.kind}"; expected one of: ${EVALUATOR_KINDS.join(', ')}`);
  if (!Number.isInteger(settings.retries) || settings.retries < 0) throw new UserError(`evaluator retries must be a whole number >= 0, got ${settings.retries}`);
  if (!(settings.timeoutMinutes >= 0)) throw new UserError(`the evaluation timeout must be >= 0 minutes, got ${settings.timeoutMinutes}`);
  if (!(settings.pollSeconds > 0)) throw new UserError(`the Slurm poll interval must be > 0 seconds, got ${settings.pollSeconds}`);
  if (settings.kind === 'command' || settings.kind === 'slurm') new CommandTemplate(settings.command, settings.shell);
  if (settings.kind === 'slurm') loadJobTemplate(settings);
  return settings;
}

/**
 * The command or Slurm evaluator of a run; a UserError for a bad template, or when Slurm's
 * commands are missing. Concurrency: `workers` when set; otherwise one command at a time (a
 * trainer usually takes the whole machine) or a whole step of jobs (the scheduler queues them).
 */
export async function startExternalEvaluator(setup: ExternalSetup): Promise<Evaluator> {
  const evaluator = checkedEvaluatorSettings(setup.settings.evaluator);
  const settings = { ...setup.settings, evaluator };
  let runner: Runner;
  let concurrency: number;
  switch (evaluator.kind) {
    case 'command':
      runner = new CommandRunner(evaluator);
      concurrency = 1;
      break;
    case 'slurm':
      runner = await SlurmRunner.start(evaluator);
      concurrency = settings.kernels;
      break;
    default:
      throw new Error(`the ${evaluator.kind} evaluator is a worker pool (engine/evaluation/local, engine/evaluation/pytorch)`);
  }
  return new ExternalEvaluator(runner, { ...setup, settings }, settings.workers > 0 ? settings.workers : concurrency);
}
