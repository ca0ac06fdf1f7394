// The `slurm` evaluator: each candidate is a batch job, written from a job template (an sbatch
// script with {placeholders}; evaluators/slurm/job.sbatch.template by default) whose {command}
// is the same command template the `command` evaluator runs. The run directory must be on a file
// system the compute nodes share: jobs read their inputs and write result.json there.
//
// Waiting: one `squeue` call every pollSeconds for all of the run's jobs, rather than one
// blocking `sbatch --wait` client per job. It is one light request to slurmctld however many
// jobs are in flight, it tells pending from running (the timeout counts running minutes, not
// time in the queue), and it needs no accounting database (sacct), which many clusters restrict.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write';
import { join } from 'node:path';
import { errorMessage, UserError } from '../util/errors';
import { CommandTemplate } from './command';
import { Attempt, AttemptEnd, RESULT_FILE, Runner, withLog } from './external';
import { abortReason, tail } from './process';
import { EvaluatorSettings } from './settings';
import { Placeholder, placeholdersOf, shellQuote, substitute, Values } from './template';
import { fileStem } from '../util/file-name';

/** States after which a job will not run again (squeue --states=all keeps them for MinJobAge). */
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'REVOKED']);
/** squeue failures in a row before the jobs are given up as lost (the controller may restart). */
const POLL_FAILURES = 10;
const CANCEL_WAIT_MS = 30_000;

export interface SlurmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a Slurm client command (environment inherited: SLURM_CONF and PATH choose the cluster). */
export function slurm(program: string, args: string[], cwd?: string): Promise<SlurmResult> {
  return new Promise((resolve) => {
    execFile(program, args, { cwd, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : '') });
    });
  });
}

/** The shipped job template: evaluators/slurm/ beside the sources (engine/evaluation) or the bundle (dist). */
export function defaultJobTemplate(): string {
  const candidates = [join(__dirname, '..', 'evaluators'), join(__dirname, '..', '..', 'evaluators')].map((d) => join(d, 'slurm', 'job.sbatch.template'));
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

/** The run's job template, read and checked; a UserError naming the file. */
export function loadJobTemplate(settings: EvaluatorSettings): { path: string; template: string } {
  const path = settings.jobTemplate || defaultJobTemplate();
  let template: string;
  try {
    template = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read the Slurm job template (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
  }
  if (!template.includes('{command}')) throw new UserError(`${path}: the job template must run {command}`);
  placeholdersOf(template, path);
  return { path, template };
}

type JobEnd = { kind: 'ended'; state: string; reason: string } | { kind: 'gone' } | { kind: 'timed-out' } | { kind: 'lost'; message: string };

interface Watch {
  timeoutMs?: number;
  runningSince?: number;
  end(end: JobEnd): void;
}

/** Watches the run's jobs with one squeue call per poll. */
class SlurmQueue {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly pollMs: number) {}

  wait(id: string, timeoutMs: number | undefined): Promise<JobEnd> {
    return new Promise((resolve) => {
      this.watches.set(id, {
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        end: (end) => {
          this.watches.delete(id);
          resolve(end);
        },
      });
      this.schedule();
    });
  }

  forget(id: string): void {
    this.watches.delete(id);
  }

  private schedule(): void {
    if (this.timer || this.watches.size === 0) return;
    this.timer = setTimeout(() => void this.poll(), this.pollMs);
  }

  private async poll(): Promise<void> {
    const ids = [...this.watches.keys()];
    const listed = await slurm('squeue', ['--noheader', '--states=all', `--jobs=${ids.join(',')}`, '--format=%i|%T|%r']);
    this.timer = undefined;
    // With only unknown ids squeue fails with "Invalid job id": they are all gone.
    if (listed.code !== 0 && !/invalid job id/i.test(listed.stderr)) {
      if (++this.failures >= POLL_FAILURES) {
        for (const id of ids) this.watches.get(id)?.end({ kind: 'lost', message: `squeue failed ${POLL_FAILURES} times in a row: ${listed.stderr.trim()}` });
      }
      this.schedule();
      return;
    }
    this.failures = 0;
    const states = new Map(
      listed.stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const [id, state, reason] = line.trim().split('|');
          return [id, { state, reason: reason ?? '' }] as const;
        }),
    );
    const now = Date.now();
    for (const id of ids) {
      const watch = this.watches.get(id);
      const job = states.get(id);
      if (!watch) continue;
      if (!job) watch.end({ kind: 'gone' });
      else if (TERMINAL.has(job.state)) watch.end({ kind: 'ended', ...job });
      else {
        if (job.state === 'RUNNING') watch.runningSince ??= now;
        if (watch.timeoutMs !== undefined && watch.runningSince !== undefined && now - watch.runningSince > watch.timeoutMs) watch.end({ kind: 'timed-out' });
      }
    }
    this.schedule();
  }
}

export class SlurmRunner implements Runner {
  readonly label = 'slurm';
  readonly uses: ReadonlySet<Placeholder>;
  private readonly jobUses: ReadonlySet<Placeholder>;
  private readonly queue: SlurmQueue;

  private constructor(
    private readonly command: CommandTemplate,
    private readonly template: string,
    readonly templatePath: string,
    pollSeconds: number,
  ) {
    this.jobUses = placeholdersOf(template, templatePath);
    this.uses = new Set([...command.uses, ...this.jobUses]);
    this.queue = new SlurmQueue(pollSeconds * 1000);
  }

  /** Checks the template and that Slurm's client commands answer, before the search starts. */
  static async start(settings: EvaluatorSettings): Promise<SlurmRunner> {
    const { path, template } = loadJobTemplate(settings);
    const runner = new SlurmRunner(new CommandTemplate(settings.command, settings.shell), template, path, settings.pollSeconds);
    const check = await slurm('squeue', ['--noheader', '--jobs=0']);
    if (check.code === -1 || /ENOENT/.test(check.stderr)) {
      throw new UserError('the slurm evaluator needs the Slurm client commands (sbatch, squeue, scancel) on PATH: run esnac on a login node of the cluster');
    }
    return runner;
  }

  async run(attempt: Attempt, signal: AbortSignal): Promise<AttemptEnd> {
    signal.throwIfAborted();
    const script = this.script(attempt);
    if (typeof script !== 'string') return script;
    const file = join(attempt.workDir, 'job.sbatch');
    writeFileAtomic(file, script);
    const submitted = await slurm('sbatch', ['--parsable', file], attempt.workDir);
    if (submitted.code !== 0) return { ok: false, reason: `sbatch refused the job: ${(submitted.stderr || submitted.stdout).trim()}` };
    const id = submitted.stdout.trim().split(';')[0];
    writeFileAtomic(join(attempt.workDir, 'job-id'), `${id}\n`);
    let end: JobEnd;
    try {
      end = await untilAborted(this.queue.wait(id, attempt.timeoutMs), signal);
    } catch (err) {
      this.queue.forget(id);
      await cancelJob(id);
      throw err;
    }
    return this.outcome(id, end, attempt);
  }

  private script(attempt: Attempt): string | AttemptEnd {
    const values: Values = {
      ...attempt.values,
      stdout: attempt.stdoutFile,
      stderr: attempt.stderrFile,
      timeMinutes: attempt.timeoutMs === undefined ? '0' : String(Math.ceil(attempt.timeoutMs / 60_000) + 1),
    };
    // The job template takes values as they are (an #SBATCH line cannot quote): the name as its
    // file-name stem, and no value a shell would read as more than one plain word.
    const jobValues: Values = { ...values, name: fileStem(values.name ?? attempt.name) };
    const unplain = [...this.jobUses].find((p) => p !== 'command' && jobValues[p] !== undefined && shellQuote(jobValues[p]) !== jobValues[p]);
    if (unplain) return { ok: false, reason: `{${unplain}} in the job template would be read by the shell: ${JSON.stringify(jobValues[unplain])} (keep the run directory's path to letters, digits and ._-/)` };
    return substitute(this.template, { ...jobValues, command: this.command.shellText(values) });
  }

  private async outcome(id: string, end: JobEnd, attempt: Attempt): Promise<AttemptEnd> {
    const log = () => tail(attempt.stderrFile) || tail(attempt.stdoutFile);
    switch (end.kind) {
      case 'ended':
        if (end.state === 'COMPLETED') return { ok: true };
        return { ok: false, reason: withLog(`Slurm job ${id} ended ${end.state}${await exitCode(id)}${end.reason && end.reason !== 'None' ? ` (${end.reason})` : ''}`, log()) };
      case 'gone':
        // Purged from squeue before a poll saw it end: its result file tells.
        return existsSync(join(attempt.workDir, RESULT_FILE)) ? { ok: true } : { ok: false, reason: withLog(`Slurm job ${id} left the queue`, log()) };
      case 'timed-out':
        await cancelJob(id);
        return { ok: false, reason: withLog(`timed out after ${(attempt.timeoutMs! / 60_000).toPrecision(3).replace(/\.?0+$/, '')} minutes running (Slurm job ${id}, cancelled)`, log()) };
      case 'lost':
        await cancelJob(id);
        return { ok: false, reason: `lost track of Slurm job ${id}: ${end.message}` };
    }
  }
}

async function exitCode(id: string): Promise<string> {
  const shown = await slurm('scontrol', ['show', 'job', '--oneliner', id]);
  const code = /\bExitCode=(\d+):(\d+)/.exec(shown.stdout);
  if (!code) return '';
  return code[2] !== '0' ? `, signal ${code[2]}` : `, exit code ${code[1]}`;
}

/** scancel, then wait (bounded) until the job no longer shows as pending or running. */
export async function cancelJob(id: string): Promise<void> {
  await slurm('scancel', [id]);
  const deadline = Date.now() + CANCEL_WAIT_MS;
  while (Date.now() < deadline) {
    const listed = await slurm('squeue', ['--noheader', `--jobs=${id}`, '--format=%T']);
    if (listed.code !== 0 || listed.stdout.trim() === '') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
