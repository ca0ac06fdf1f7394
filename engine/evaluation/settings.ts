// Which evaluator trains the candidates of a run, recorded in run.json with the other settings:
// the built-in tfjs workers, the PyTorch worker pool, a user's command per candidate, or a Slurm
// job per candidate; `auto` is PyTorch when a Python with torch is found, else tfjs.

export const EVALUATOR_KINDS = ['auto', 'pytorch', 'local', 'command', 'slurm'] as const;
export type EvaluatorKind = (typeof EVALUATOR_KINDS)[number];

export interface EvaluatorSettings {
  kind: EvaluatorKind;
  /** pytorch and auto: the Python interpreter; '' = ESNAC_PYTHON, else the first python3/python with torch >= 1.13. */
  python: string;
  /** pytorch on CUDA: autocast (bf16 where supported, else fp16 with a gradient scaler). */
  autocast: boolean;
  /**
   * command and slurm: the command run per candidate, with {placeholders} (engine/evaluation/
   * template.ts PLACEHOLDERS). Split into arguments like a shell would, never run by one.
   */
  command: string;
  /** Run `command` with /bin/sh -c instead (pipes, `&&`, variables); placeholders are still quoted. */
  shell: boolean;
  /** slurm: the job script template file; '' = evaluators/slurm/job.sbatch.template. */
  jobTemplate: string;
  /** A candidate still running after this many minutes fails (0 = no limit); for Slurm, minutes running, not queued. */
  timeoutMinutes: number;
  /** A failed evaluation is tried again this many times before it is recorded as failed. */
  retries: number;
  /** slurm: seconds between two looks at the queue (one squeue call for all jobs of the run). */
  pollSeconds: number;
}

export const DEFAULT_EVALUATOR: EvaluatorSettings = {
  kind: 'auto',
  python: '',
  autocast: true,
  command: '',
  shell: false,
  jobTemplate: '',
  timeoutMinutes: 0,
  retries: 1,
  pollSeconds: 10,
};

/** The settings of a run, whose run.json may predate the evaluator block or hold only part of it. */
export function evaluatorSettings(recorded: Partial<EvaluatorSettings> | undefined): EvaluatorSettings {
  return { ...DEFAULT_EVALUATOR, ...recorded };
}
