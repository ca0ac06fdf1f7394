// The run journal: one JSON object per line, appended and flushed as each event happens, so a
// run killed at any moment loses at most the evaluations in flight. A torn last line (the
// process died mid-write) is ignored on reading; anything else malformed is an error.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
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

/**
 * Accuracy on the held-out test split, measured once at the end of a run: the teacher and the
 * delivered students. Nothing before it reads the test split, so no decision depends on it.
 */
export interface TestEvent {
  type: 'test';
  /** `teacher`, or a candidate's name. */
  name: string;
  accuracy: number;
  /** Test examples it was measured on. */
  examples: number;
  /** Which of a candidate's weights were measured: those of the search, or the fine-tuned ones. */
  weights?: WeightsChoice;
  /** What the test split is (`t10k files`, `x_test of FILE`...). */
  source: string;
}

/** Of a candidate's search and fine-tuned weights, the better by validation accuracy. */
export type WeightsChoice = 'search' | 'fine-tuned';

export interface DoneEvent {
  type: 'done';
  best: string;
  bestSpec: string;
  f: number;
  /** Which weights best.weights holds, and their validation accuracy. */
  bestWeights?: WeightsChoice;
  bestValidationAccuracy?: number;
}

export type JournalEvent = TeacherEvent | CandidateEvent | KernelsEvent | FinetuneEvent | TestEvent | DoneEvent;

export class Journal {
  constructor(readonly path: string) {}

  append(event: JournalEvent): void {
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

  read(): JournalEvent[] {
    return existsSync(this.path) ? parseJournal(readFileSync(this.path, 'utf8'), this.path) : [];
  }
}

export function parseJournal(text: string, fileName: string): JournalEvent[] {
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as JournalEvent);
    } catch {
      // Only the last line can be torn by a crash; a broken line before it means the file was edited.
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new UserError(`${fileName}:${i + 1}: not a valid journal line (the journal is append-only; was it edited?)`);
    }
  });
  return events;
}
