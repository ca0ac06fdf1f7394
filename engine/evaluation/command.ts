// The `command` evaluator: the user's trainer runs once per candidate on this machine, e.g.
//   python train.py --arch {spec} --init {init} --epochs {epochs} --out {out}
// and writes {out}/result.json. The template is split into arguments once; each placeholder is
// replaced inside its own argument, so a path with spaces or quotes stays one argument and is
// never read by a shell. With `shell`, /bin/sh runs the template and the values are quoted.
import { writeFileAtomic } from '../util/atomic-write';
import { join } from 'node:path';
import { UserError } from '../util/errors';
import { Attempt, AttemptEnd, Runner, withLog } from './external';
import { ProcessEnd, runProcess, tail } from './process';
import { EvaluatorSettings } from './settings';
import { Placeholder, PLACEHOLDERS, placeholdersOf, refuseQuotedPlaceholders, shellQuote, splitArguments, substitute, Values } from './template';

/** Placeholders that only mean something inside a Slurm job template or a latency command. */
const NOT_FOR_TRAINERS: readonly Placeholder[] = ['stdout', 'stderr', 'command', 'timeMinutes', 'onnx'];
export const COMMAND_PLACEHOLDERS = (Object.keys(PLACEHOLDERS) as Placeholder[]).filter((p) => !NOT_FOR_TRAINERS.includes(p));

/** A checked command template: its arguments (or shell text) and the placeholders it uses. */
export class CommandTemplate {
  readonly uses: ReadonlySet<Placeholder>;
  private readonly argv: string[];

  constructor(
    readonly text: string,
    readonly shell: boolean,
  ) {
    const where = 'the evaluator command';
    if (text.trim() === '') throw new UserError(`${where} is empty: give the trainer to run per candidate (--evaluator-command)`);
    this.uses = placeholdersOf(text, where, COMMAND_PLACEHOLDERS);
    if (shell) refuseQuotedPlaceholders(text, where);
    this.argv = shell ? [text] : splitArguments(text, where);
  }

  /** The argument vector (with `shell`, one string for /bin/sh) for these values. */
  argvFor(values: Values): string[] {
    return this.shell ? [substitute(this.text, values, shellQuote)] : this.argv.map((arg) => substitute(arg, values));
  }

  /** The whole command as shell text, every argument quoted: for a job script. */
  shellText(values: Values): string {
    return this.shell ? substitute(this.text, values, shellQuote) : this.argvFor(values).map(shellQuote).join(' ');
  }
}

export class CommandRunner implements Runner {
  readonly label = 'command';
  readonly uses: ReadonlySet<Placeholder>;
  private readonly command: CommandTemplate;

  constructor(settings: EvaluatorSettings) {
    this.command = new CommandTemplate(settings.command, settings.shell);
    this.uses = this.command.uses;
  }

  async run(attempt: Attempt, signal: AbortSignal): Promise<AttemptEnd> {
    const argv = this.command.argvFor(attempt.values);
    // What ran, for a person retracing a failure.
    writeFileAtomic(join(attempt.workDir, 'command.json'), JSON.stringify({ argv, shell: this.command.shell }, null, 2) + '\n');
    const end = await runProcess(argv, {
      cwd: attempt.workDir,
      stdoutFile: attempt.stdoutFile,
      stderrFile: attempt.stderrFile,
      shell: this.command.shell,
      ...(attempt.timeoutMs !== undefined ? { timeoutMs: attempt.timeoutMs } : {}),
      signal,
    });
    if (end.kind === 'exited' && end.code === 0) return { ok: true };
    return { ok: false, reason: withLog(describeEnd(end, argv[0], attempt.timeoutMs), tail(attempt.stderrFile)) };
  }
}

/** How a command ended, in words (for a failure reason). */
export function describeEnd(end: ProcessEnd, program: string, timeoutMs: number | undefined): string {
  switch (end.kind) {
    case 'exited':
      return `exit code ${end.code}`;
    case 'killed':
      return `killed by ${end.signal}`;
    case 'timed-out':
      return `timed out after ${((timeoutMs ?? 0) / 60_000).toPrecision(3).replace(/\.?0+$/, '')} minutes`;
    case 'spawn-failed':
      return `could not start ${program}: ${end.message}`;
  }
}
