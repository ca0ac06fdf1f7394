// Every evaluator of the candidates of a search, chosen per run by the settings' `evaluator`
// block: the engine's tfjs workers (local/), a user's command per candidate, or a Slurm job per
// candidate. startEvaluator is the one place that builds them: a new kind is one case there.
import { BackendName } from '../backend';
import { readModel } from '../model/io';
import { UserError } from '../util/errors';
import { CommandRunner, CommandTemplate } from './command';
import { ExternalEvaluator, RunSetup } from './external';
import { candidateTraining } from './local/candidate';
import { WorkerPool } from './local/pool';
import { EVALUATOR_KINDS, EvaluatorSettings, evaluatorSettings } from './settings';
import { loadJobTemplate, SlurmRunner } from './slurm';
import { Evaluator } from './types';

export type { RunSetup } from './external';
export { DEFAULT_EVALUATOR, EVALUATOR_KINDS, evaluatorSettings } from './settings';
export type { EvaluatorKind, EvaluatorSettings } from './settings';

/** Whether the run's candidates train outside the engine (a command or Slurm: no fine-tuning). */
export function isExternal(settings: RunSetup['settings']): boolean {
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

export interface EvaluatorStart extends RunSetup {
  /** The tfjs backend the local workers load: the engine's own (absent: 'auto'). */
  backend?: BackendName | 'auto';
}

/**
 * The evaluator the run's settings name; a UserError for bad settings, a missing dataset or
 * missing Slurm commands. Concurrency: `workers` when set; otherwise each kind's own (local: one
 * worker per core, 1 on a GPU; command: one at a time, as a trainer usually takes the whole
 * machine; slurm: a whole step of jobs, as the scheduler queues them).
 */
export async function startEvaluator(start: EvaluatorStart): Promise<Evaluator> {
  const evaluator = checkedEvaluatorSettings(start.settings.evaluator);
  const { backend = 'auto', ...run } = start;
  const setup: RunSetup = { ...run, settings: { ...run.settings, evaluator } };
  const { settings } = setup;
  const workers = settings.workers > 0 ? settings.workers : undefined;
  switch (evaluator.kind) {
    case 'local':
      return WorkerPool.start({
        setup: { backend, dataset: setup.dataset, load: setup.load, teacher: readModel(setup.teacherWeights), training: candidateTraining(settings) },
        ...(workers !== undefined ? { workers } : {}),
      });
    case 'command':
      return new ExternalEvaluator(new CommandRunner(evaluator), setup, workers ?? 1);
    case 'slurm':
      return new ExternalEvaluator(await SlurmRunner.start(evaluator), setup, workers ?? settings.kernels);
    case 'auto':
    case 'pytorch':
      // The PyTorch pool trains the teacher too, so it starts before there are teacher weights.
      throw new Error(`the ${evaluator.kind} evaluator is chosen by engine/evaluation/choice and started by engine/search/compress`);
  }
}
