// The evaluator's command line options, shared by `esnac compress` (engine/cli/compress.ts).
import { Command } from 'commander';
import { resolve } from 'node:path';
import { choiceArg, integerArg, numberArg } from './args';
import { DEFAULT_EVALUATOR, EVALUATOR_KINDS, EvaluatorKind, EvaluatorSettings } from '../evaluation/settings';

export interface EvaluatorOptions {
  evaluator?: EvaluatorKind;
  python?: string;
  autocast?: boolean;
  evaluatorCommand?: string;
  evaluatorShell?: boolean;
  jobTemplate?: string;
  evaluationTimeout?: number;
  retries?: number;
  pollSeconds?: number;
}

/** What each kind means, for --evaluator's help. */
const KIND_HELP: Record<EvaluatorKind, string> = {
  auto: 'auto (pytorch when a Python with torch >= 1.13 is found, else local)',
  pytorch: 'pytorch (PyTorch workers)',
  local: 'local (tfjs workers)',
  command: 'command (your trainer)',
  slurm: 'slurm (a job each)',
};

/** --evaluator (limited to `kinds`, for `who` is trained), --python and --no-autocast. */
export function addTrainerOptions(command: Command, who: string, kinds: readonly EvaluatorKind[] = EVALUATOR_KINDS): Command {
  const described = kinds.map((kind) => KIND_HELP[kind]);
  return command
    .option('--evaluator <kind>', `who trains ${who}: ${described.slice(0, -1).join(', ')} or ${described.at(-1)} (default ${DEFAULT_EVALUATOR.kind})`, choiceArg(kinds))
    .option('--python <path>', 'pytorch and auto: the Python interpreter (default: $ESNAC_PYTHON, else the first python3/python on PATH with torch, then /usr/bin/python3)')
    .option('--no-autocast', 'pytorch on CUDA: train in float32 instead of bf16/fp16 autocast');
}

export function addEvaluatorOptions(command: Command): Command {
  return addTrainerOptions(command, 'candidates')
    .option('--evaluator-command <template>', 'command and slurm: the trainer to run per candidate, e.g. "python train.py --arch {spec} --out {out}" (see docs/slurm.md)')
    .option('--evaluator-shell', 'run the evaluator command with /bin/sh (pipes, &&, $VARS); placeholders are still quoted')
    .option('--job-template <file>', 'slurm: the sbatch script template (default evaluators/slurm/job.sbatch.template)')
    .option('--evaluation-timeout <minutes>', 'fail a candidate still running after this many minutes (default: no limit)', numberArg(0))
    .option('--retries <n>', `try a failed command or job again this many times (default ${DEFAULT_EVALUATOR.retries})`, integerArg(0))
    .option('--poll-seconds <s>', `slurm: seconds between looks at the queue (default ${DEFAULT_EVALUATOR.pollSeconds})`, numberArg(0.1));
}

/** The evaluator block of the run's settings, or undefined when no evaluator option was given. */
export function evaluatorFromOptions(o: EvaluatorOptions): EvaluatorSettings | undefined {
  const autocast = o.autocast === false ? false : undefined;
  const given = [o.evaluator, o.python, autocast, o.evaluatorCommand, o.evaluatorShell, o.jobTemplate, o.evaluationTimeout, o.retries, o.pollSeconds].some((v) => v !== undefined);
  if (!given) return undefined;
  return {
    kind: o.evaluator ?? (o.jobTemplate !== undefined ? 'slurm' : o.evaluatorCommand !== undefined ? 'command' : DEFAULT_EVALUATOR.kind),
    // Absolute: a resumed run must find it from any directory.
    python: o.python !== undefined && o.python.includes('/') ? resolve(o.python) : (o.python ?? DEFAULT_EVALUATOR.python),
    autocast: autocast ?? DEFAULT_EVALUATOR.autocast,
    command: o.evaluatorCommand ?? DEFAULT_EVALUATOR.command,
    shell: o.evaluatorShell ?? DEFAULT_EVALUATOR.shell,
    // Recorded in run.json: a resumed run must find it from any directory.
    jobTemplate: o.jobTemplate !== undefined ? resolve(o.jobTemplate) : DEFAULT_EVALUATOR.jobTemplate,
    timeoutMinutes: o.evaluationTimeout ?? DEFAULT_EVALUATOR.timeoutMinutes,
    retries: o.retries ?? DEFAULT_EVALUATOR.retries,
    pollSeconds: o.pollSeconds ?? DEFAULT_EVALUATOR.pollSeconds,
  };
}
