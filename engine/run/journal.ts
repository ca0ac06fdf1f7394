// The run journal: one JSON object per line, appended and flushed as each event happens, so a
// run killed at any moment loses at most the evaluations in flight. A torn last line (the
// process died mid-write) is ignored on reading; anything else malformed is an error.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { JournalEvent } from '../../protocol';
import { UserError } from '../util/errors';

export type { CandidateEvent, CostsEvent, DoneEvent, FinetuneEvent, JournalEvent, KernelsEvent, TeacherEvent, TestEvent, WeightsChoice } from '../../protocol';

/** An append-only JSON-lines file: the run's journal by default, other records (latency caches) too. */
export class Journal<E extends object = JournalEvent> {
  constructor(readonly path: string) {}

  append(event: E): void {
    // JSON would write NaN and Infinity as null, and every reader after would stumble on it.
    const bad = nonFinite(event);
    if (bad) throw new Error(`refusing to journal a ${'type' in event ? `${String(event.type)} event` : 'record'} whose ${bad} is not a finite number`);
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, JSON.stringify(event) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Cuts a line torn by a crash, so the next append starts on a line of its own. */
  repairTornTail(): void {
    if (!existsSync(this.path)) return;
    const text = readFileSync(this.path, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    truncateSync(this.path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
  }

  read(): E[] {
    return existsSync(this.path) ? parseJournal<E>(readFileSync(this.path, 'utf8'), this.path) : [];
  }
}

/** The path of the first number in `value` that is NaN or infinite. */
function nonFinite(value: unknown, path = ''): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path || 'value';
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = nonFinite(inner, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

export function parseJournal<E = JournalEvent>(text: string, fileName: string): E[] {
  const lines = text.split('\n');
  const events: E[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as E);
    } catch {
      // Only the last line can be torn by a crash; a broken line before it means the file was edited.
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new UserError(`${fileName}:${i + 1}: not a valid journal line (the journal is append-only; was it edited?)`);
    }
  });
  return events;
}
