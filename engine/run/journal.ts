// The run journal: one JSON object per line, appended and flushed as each event happens, so a
// run killed at any moment loses at most the evaluations in flight. A torn last line (the
// process died mid-write) is ignored on reading; anything else malformed is an error.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { Latency } from '../cost/objective';
import { UserError } from '../util/errors';

/** Teacher accuracy, measured once on the validation split. */
export interface TeacherEvent {
  type: 'teacher';
  accuracy: number;
  params: number;
  /** Weights folder, relative to the run directory. */
  weights: string;
  /** True when the search trained the teacher itself. */
  trained: boolean;
  seconds: number;
}

/** One evaluated candidate. */
export interface CandidateEvent {
  type: 'candidate';
  /** 1-based search step; step 1 is the random initial batch. */
  step: number;
  name: string;
  /** Structural key: equal keys are the same architecture. */
  key: string;
  /** Spec file, relative to the run directory. */
  spec: string;
  action: Record<string, unknown>;
  /** 'random', or 'kernel-<k>' for the BO kernel that proposed it. */
  proposedBy: string;
  status: 'ok' | 'failed';
  params: number;
  /** Absent in runs from before MACs were recorded. */
  macs?: number;
  /** Measured when the run's objective or budgets need it. */
  latency?: Latency;
  /** The per-layer table's prediction, recorded with each measurement. */
  predictedLatency?: Latency;
  accuracy?: number;
  f?: number;
  reason?: string;
  seconds: number;
  backend?: string;
  /** Trained weights folder (relative), when the evaluator kept them. */
  weights?: string;
}

/** Kernels fitted at a step, saved for transfer to other runs. */
export interface KernelsEvent {
  type: 'kernels';
  step: number;
  /** Kernel files, relative to the run directory. */
  files: string[];
  seconds: number;
}

/** A top candidate trained further with cross-entropy after the search. */
export interface FinetuneEvent {
  type: 'finetune';
  name: string;
  status: 'ok' | 'failed';
  accuracy?: number;
  f?: number;
  epochs: number;
  weights?: string;
  reason?: string;
  seconds: number;
}

export interface DoneEvent {
  type: 'done';
  best: string;
  bestSpec: string;
  f: number;
}

/** The teacher's costs against which candidates are compared, recorded once before the first step. */
export interface CostsEvent {
  type: 'costs';
  teacher: { params: number; macs: number; latency?: Latency };
  /** What timed the latencies, when the run measures them. */
  meter?: string;
}

export type JournalEvent = TeacherEvent | CostsEvent | CandidateEvent | KernelsEvent | FinetuneEvent | DoneEvent;

/** An append-only JSON-lines file; the run's journal by default, other records (latency caches) too. */
export class Journal<E = JournalEvent> {
  constructor(readonly path: string) {}

  append(event: E): void {
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
