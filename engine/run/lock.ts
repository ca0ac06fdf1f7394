// One process at a time on a run folder: `esnac.lock` holds the pid of the process that works on
// it (a CLI, or a language server whose search threads share its pid). A lock whose process is
// gone (killed, crashed) is stale and taken over; a live one is refused naming its holder. A pid
// alone cannot tell its process from a later one that got the same pid: where the system says
// when a process started (Linux's /proc), the lock records it, and a live pid that started at
// another time is a new process, so the holder is gone.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { UserError } from '../util/errors';
import { pidAlive } from '../util/pid';

export const LOCK_FILE = 'esnac.lock';
/** A lock file without a holder yet is one being written for this long; older, a crash left it. */
const TAKING_MS = 5_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder process started, as the system counts it (absent where it cannot be read). */
  started?: string;
  since: string;
  /** What it runs, for the person reading the refusal. */
  command: string;
}

/** The holder of the run's lock while its process lives; undefined when free or stale. */
export function lockHolder(runDir: string): LockHolder | undefined {
  const holder = readHolder(join(runDir, LOCK_FILE));
  return holder && isAlive(holder) ? holder : undefined;
}

/**
 * Sends SIGINT (Ctrl-C: the holder stops and leaves the run resumable) to the live process that
 * holds the run's lock, once it is checked to be that process: on this machine, its pid started
 * when the lock says (the boot's id and the ticks after boot), so a pid reused since is never
 * signalled. A UserError when no live process holds it or the holder cannot be checked. (Between
 * the check and the signal the holder could end and its pid be reused: a window of microseconds
 * that only a pidfd closes, which Node does not offer.)
 */
export function interruptHolder(runDir: string): LockHolder {
  const holder = lockHolder(runDir);
  if (!holder) throw new UserError(`${runDir} is not running`);
  if (holder.host !== hostname()) throw new UserError(`${runDir} is run by process ${holder.pid} on ${holder.host}: stop it there`);
  if (holder.started === undefined) throw new UserError(`${runDir} is run by process ${holder.pid}, which this system cannot tell from a later process with its pid: stop it where it runs`);
  if (processStart(holder.pid) !== holder.started) throw new UserError(`${runDir}: process ${holder.pid} ended meanwhile`);
  process.kill(holder.pid, 'SIGINT');
  return holder;
}

export class RunLock {
  private released = false;

  private constructor(
    readonly path: string,
    private readonly token: string,
  ) {}

  /** Takes the lock of `runDir`; a UserError naming the holder when a live process has it. */
  static acquire(runDir: string): RunLock {
    const path = join(runDir, LOCK_FILE);
    const started = processStart(process.pid);
    const holder: LockHolder = { pid: process.pid, host: hostname(), ...(started !== undefined && { started }), since: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
    const token = JSON.stringify(holder);
    for (let tries = 0; tries < 5; tries++) {
      if (createExclusive(path, token)) return new RunLock(path, token);
      const current = readHolder(path);
      if (current && isAlive(current)) {
        throw new UserError(`${runDir} is in use by process ${current.pid} on ${current.host} since ${current.since} (${current.command}); wait for it to end or stop it, then resume`);
      }
      if (!current && Date.now() - mtimeMs(path) < TAKING_MS) throw new UserError(`${runDir} is being locked by another process at this moment; try again`);
      // Stale (or torn by a crash while it was written): move it aside under a name of our own,
      // so that of two processes taking it over at once only one removes it.
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new UserError(`${path}: could not take the run's lock (other processes keep taking it)`);
  }

  /** Gives the lock up, if it is still ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (readFileSync(this.path, 'utf8') === this.token) rmSync(this.path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When process `pid` started, in clock ticks after boot (field 22 of /proc/PID/stat), with the
 * boot's id (where the system has one) so that a reboot counts too; undefined where `proc` does not exist (macOS, Windows)
 * or the process is gone.
 */
export function processStart(pid: number, proc = '/proc'): string | undefined {
  try {
    const stat = readFileSync(join(proc, String(pid), 'stat'), 'utf8');
    // Field 2 is the command name in parentheses, which may itself hold spaces and ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[22 - 3];
    if (!/^\d+$/.test(ticks ?? '')) return undefined;
    return `${bootId(proc)}:${ticks}`;
  } catch {
    return undefined;
  }
}

function bootId(proc: string): string {
  try {
    return readFileSync(join(proc, 'sys', 'kernel', 'random', 'boot_id'), 'utf8').trim();
  } catch {
    return 'boot';
  }
}

/**
 * A lock from another machine (a shared file system) cannot be checked: it counts as held. A
 * live pid whose start differs from the recorded one was reused by a process that is not the holder.
 */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (!pidAlive(holder.pid)) return false;
  if (typeof holder.started !== 'string') return true;
  const started = processStart(holder.pid);
  return started === undefined || started === holder.started;
}
