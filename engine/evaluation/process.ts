// Child processes for evaluators: output straight to log files (a trainer may print megabytes),
// a time limit, and cancellation that ends the whole process group (a trainer's own children,
// such as data loader workers or `esnac export`, go with it).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, fstatSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcessOptions {
  cwd: string;
  /** Standard output and error are written (truncated first) to these files. */
  stdoutFile: string;
  stderrFile: string;
  /** Run the one-string command with /bin/sh -c instead of as an argument vector. */
  shell?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type ProcessEnd =
  | { kind: 'exited'; code: number }
  | { kind: 'killed'; signal: string }
  | { kind: 'timed-out' }
  | { kind: 'spawn-failed'; message: string };

/** Seconds between SIGTERM and SIGKILL when stopping a process group. */
const GRACE_MS = 5000;

/** Process groups started here and not yet ended: killed if esnac exits before it stops them (a second Ctrl-C). */
const liveGroups = new Set<number>();

function track(pid: number): void {
  if (liveGroups.size === 0) process.once('exit', killLiveGroups);
  liveGroups.add(pid);
}

function untrack(pid: number): void {
  liveGroups.delete(pid);
  if (liveGroups.size === 0) process.off('exit', killLiveGroups);
}

function killLiveGroups(): void {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
}

/**
 * Runs `argv` (or, with `shell`, the single string argv[0]) to its end. Resolves how it ended;
 * rejects with the signal's reason on abort, after the process group is gone.
 */
export function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessEnd> {
  if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
  const out = openSync(options.stdoutFile, 'w');
  const err = openSync(options.stderrFile, 'w');
  return new Promise<ProcessEnd>((resolve, reject) => {
    const child = options.shell
      ? spawn(argv[0], { cwd: options.cwd, shell: true, detached: true, stdio: ['ignore', out, err] })
      : spawn(argv[0], argv.slice(1), { cwd: options.cwd, detached: true, stdio: ['ignore', out, err] });
    if (child.pid !== undefined) track(child.pid);
    let stopping: 'timed-out' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'timed-out' | 'aborted') => {
      if (stopping || child.pid === undefined) return;
      stopping = why;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), GRACE_MS);
    };
    const timer = options.timeoutMs ? setTimeout(() => stop('timed-out'), options.timeoutMs) : undefined;
    const onAbort = () => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    const finish = (end: ProcessEnd) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      closeSync(out);
      closeSync(err);
      // The leader is gone; anything it left in its group goes too.
      const pid = end.kind === 'spawn-failed' ? undefined : child.pid;
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      void (pid === undefined ? Promise.resolve() : groupGone(pid)).then(() => {
        if (child.pid !== undefined) untrack(child.pid);
        if (stopping === 'aborted') reject(abortReason(options.signal!));
        else resolve(stopping === 'timed-out' ? { kind: 'timed-out' } : end);
      });
    };
    child.once('error', (e) => finish({ kind: 'spawn-failed', message: e.message }));
    child.once('exit', (code, signal) => finish(code === null ? { kind: 'killed', signal: signal ?? 'unknown' } : { kind: 'exited', code }));
  });
}

/** How long to wait for a killed group's members to end, polled this often: SIGKILL takes effect asynchronously. */
const GROUP_WAIT_MS = 5000;
const GROUP_POLL_MS = 10;

/** Resolves once no process of group `pgid` is left running (at most GROUP_WAIT_MS). */
async function groupGone(pgid: number): Promise<void> {
  for (let waited = 0; waited < GROUP_WAIT_MS && groupRunning(pgid); waited += GROUP_POLL_MS) {
    await new Promise((r) => setTimeout(r, GROUP_POLL_MS));
  }
}

/**
 * Whether a process of group `pgid` still runs. On Linux from /proc, where a killed child that
 * its new parent has not reaped yet (a zombie) no longer counts; elsewhere kill(-pgid, 0), which
 * counts zombies too.
 */
function groupRunning(pgid: number): boolean {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command's closing parenthesis: state, ppid, pgrp, ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The last lines of a log file (at most `maxChars`), for a failure reason. */
export function tail(file: string, maxLines = 15, maxChars = 2000): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxChars * 4);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').trimEnd().split('\n').slice(-maxLines).join('\n');
    return lines.length > maxChars ? lines.slice(-maxChars) : lines;
  } finally {
    closeSync(fd);
  }
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The evaluation was aborted', 'AbortError');
}
