// The run's latest progress in its folder (progress.json), for the processes that watch a run
// another one holds (a terminal's `esnac compress`, another window's engine): they read it while
// the run's lock is held. Written whole, at most about once a second (a phase change at once),
// and the last one before the run lets go of its folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunProgressSnapshot } from '../../protocol';
import { writeFileAtomic } from '../util/atomic-write';

export const PROGRESS_FILE = 'progress.json';
/** Between two writes, at least this long (unless the phase changes). */
export const PROGRESS_INTERVAL_MS = 1_000;

export class ProgressFile {
  private latest?: RunProgressSnapshot;
  private written?: { at: number; phase: string };
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly runDir: string,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  record(progress: RunProgressSnapshot): void {
    this.latest = progress;
    const since = this.written ? performance.now() - this.written.at : Infinity;
    if (since >= this.intervalMs || progress.phase !== this.written?.phase) return this.write();
    // The last of a burst is written once the interval is over; the timer keeps no process alive.
    this.pending ??= setTimeout(() => {
      // Off the run's own path, a failed write (a full disk) is left to the next record, which throws it.
      try {
        this.write();
      } catch {
        this.written = undefined;
      }
    }, this.intervalMs - since).unref();
  }

  /** Writes what a pending write would have, and stops. */
  close(): void {
    if (this.pending) this.write();
  }

  private write(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    if (!this.latest) return;
    writeFileAtomic(join(this.runDir, PROGRESS_FILE), JSON.stringify(this.latest) + '\n');
    this.written = { at: performance.now(), phase: this.latest.phase };
  }
}

/** The progress a run's holder last wrote; undefined when there is none or it cannot be read. */
export function readProgress(runDir: string): RunProgressSnapshot | undefined {
  try {
    const progress = JSON.parse(readFileSync(join(runDir, PROGRESS_FILE), 'utf8')) as Partial<RunProgressSnapshot>;
    return typeof progress.phase === 'string' && typeof progress.fraction === 'number' ? (progress as RunProgressSnapshot) : undefined;
  } catch {
    return undefined;
  }
}
