// Where a run is, over all its phases: teacher training, the search steps (kernel fitting, then
// the candidates), fine-tuning and the test measurement. The journal says what is done; the
// epochs of the network training now come from its trainer. The estimate weighs each phase by
// its time at the rates measured so far: a teacher epoch, a candidate (per parallel worker),
// a kernel fit, a fine-tuning epoch; a phase not measured yet borrows from one that was.
import type { SearchPhase, TrainingProgress } from '../../protocol';
import { CandidateEvent, FinetuneEvent, JournalEvent } from '../run/journal';
import { SearchSettings } from '../run/settings';
import type { SearchProgress } from './search';

/** The work of a whole run, in units that each take a measurable time. */
export interface RunPlan {
  /** 0 when the teacher's weights are given. */
  teacherEpochs: number;
  /** steps x kernels. */
  candidates: number;
  /** Steps that fit kernels (BO steps after the first). */
  kernelFits: number;
  /** Epochs each candidate trains. */
  epochs: number;
  /** Candidates trained at once. */
  concurrency: number;
  /** Fine-tuning epochs of all students together. */
  finetuneEpochs: number;
}

export type RunDone = Pick<RunPlan, 'teacherEpochs' | 'candidates' | 'kernelFits' | 'finetuneEpochs'>;

/** Seconds each unit took; undefined where none was measured yet. */
export interface RunRates {
  teacherEpoch?: number;
  /** One candidate's training (its own seconds, not divided among the workers). */
  candidate?: number;
  kernelFit?: number;
  finetuneEpoch?: number;
}

/** The run's share done (0..1) and the seconds left; no seconds before any training was timed. */
export function estimate(plan: RunPlan, done: RunDone, rates: RunRates): { fraction: number; etaSeconds?: number } {
  // One epoch of cross-entropy training, the common measure when a phase has no rate of its own.
  const epoch = rates.teacherEpoch ?? rates.finetuneEpoch ?? (rates.candidate === undefined ? undefined : rates.candidate / plan.epochs);
  const unit = epoch ?? 1;
  const concurrency = Math.max(1, plan.concurrency);
  const parts: [number, number, number][] = [
    [plan.teacherEpochs, done.teacherEpochs, rates.teacherEpoch ?? unit],
    [plan.candidates, done.candidates, (rates.candidate ?? unit * plan.epochs) / concurrency],
    [plan.kernelFits, done.kernelFits, rates.kernelFit ?? 0],
    [plan.finetuneEpochs, done.finetuneEpochs, rates.finetuneEpoch ?? unit],
  ];
  const total = parts.reduce((sum, [count, , seconds]) => sum + count * seconds, 0);
  const left = parts.reduce((sum, [count, finished, seconds]) => sum + Math.max(0, count - finished) * seconds, 0);
  const fraction = total > 0 ? Math.min(1, Math.max(0, 1 - left / total)) : 0;
  return { fraction, ...(epoch === undefined ? {} : { etaSeconds: left }) };
}

const mean = (values: number[]) => (values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length);

/** What a run reports as it goes: one per run, fed by the teacher, the search and the finish. */
export class RunProgress {
  private phase: SearchPhase = 'teacher';
  private step = 0;
  private training?: TrainingProgress;
  /** Seconds of the teacher epochs known (trained here or held by a checkpoint). */
  private readonly teacherEpochSeconds: number[] = [];
  /** Seconds of the fine-tuning epochs trained here, of the student in training. */
  private readonly finetuneEpochSeconds: number[] = [];
  private epochStarted = performance.now();
  private concurrency = 1;
  private delivered?: { name: string; f: number };

  constructor(
    private readonly settings: SearchSettings,
    /** The teacher is trained (no weights given); fine-tuning happens (a trainer can). */
    private readonly work: { trainsTeacher: boolean; finetunes: boolean },
    private readonly journal: () => JournalEvent[],
    private readonly emit: (progress: SearchProgress) => void = () => undefined,
  ) {}

  /** Candidates trained at once, once the evaluator is known. */
  setConcurrency(concurrency: number): void {
    this.concurrency = Math.max(1, concurrency);
  }

  /** The teacher's training starts (with the epochs a checkpoint held, when it goes on from one). */
  teacherStarts(name: string, held: { seconds: number; accuracy: number; imagesPerSecond: number }[]): void {
    this.teacherEpochSeconds.push(...held.map((e) => e.seconds));
    const last = held.at(-1);
    this.training = { name, epoch: held.length, epochs: this.settings.teacherEpochs, ...(last && { accuracy: last.accuracy, imagesPerSecond: last.imagesPerSecond }) };
    this.epochStarted = performance.now();
    this.report('teacher');
  }

  /** An epoch of the network in training ended (the teacher's, or a fine-tuned student's). */
  epochEnded(e: { epoch: number; accuracy: number; imagesPerSecond: number }): void {
    const seconds = (performance.now() - this.epochStarted) / 1000;
    this.epochStarted = performance.now();
    (this.phase === 'teacher' ? this.teacherEpochSeconds : this.finetuneEpochSeconds).push(seconds);
    if (this.training) this.training = { ...this.training, epoch: e.epoch, accuracy: e.accuracy, imagesPerSecond: e.imagesPerSecond };
    this.report(this.phase);
  }

  /** A search step is proposing (fitting kernels) or evaluating. */
  searching(phase: 'proposing' | 'evaluating', step: number): void {
    this.step = step;
    this.training = undefined;
    this.report(phase);
  }

  /** Fine-tuning of the `index`-th (1-based) of `count` students starts. */
  finetuneStarts(name: string, index: number, count: number): void {
    this.finetuneEpochSeconds.length = 0;
    this.training = { name, epoch: 0, epochs: this.settings.finetuneEpochs, student: index, students: count };
    this.epochStarted = performance.now();
    this.report('finetuning');
  }

  testing(): void {
    this.training = undefined;
    this.report('testing');
  }

  /** The run ended; `best` is the delivered student (its f after fine-tuning, when it was). */
  done(best?: { name: string; f: number }): void {
    this.training = undefined;
    this.step = this.settings.steps;
    this.delivered = best;
    this.report('done');
  }

  private report(phase: SearchPhase): void {
    this.phase = phase;
    const { settings } = this;
    const events = this.journal();
    const candidates = events.filter((e): e is CandidateEvent => e.type === 'candidate');
    const finetuned = events.filter((e): e is FinetuneEvent => e.type === 'finetune');
    const teacher = events.find((e) => e.type === 'teacher');
    const total = settings.steps * settings.kernels;
    const finetuneTotal = this.work.finetunes && settings.finetuneEpochs > 0 ? Math.min(settings.finetuneTop, total) * settings.finetuneEpochs : 0;
    const plan: RunPlan = {
      teacherEpochs: this.work.trainsTeacher ? settings.teacherEpochs : 0,
      candidates: total,
      kernelFits: settings.method === 'bo' ? Math.max(0, settings.steps - 1) : 0,
      epochs: settings.epochs,
      concurrency: this.concurrency,
      finetuneEpochs: finetuneTotal,
    };
    const inFinetune = phase === 'finetuning' ? (this.training?.epoch ?? 0) : 0;
    const done: RunDone = {
      teacherEpochs: teacher ? plan.teacherEpochs : this.teacherEpochSeconds.length,
      candidates: candidates.length,
      kernelFits: events.filter((e) => e.type === 'kernels').length,
      finetuneEpochs: phase === 'testing' || phase === 'done' ? finetuneTotal : finetuned.reduce((sum, e) => sum + e.epochs, 0) + inFinetune,
    };
    const teacherTrained = teacher?.type === 'teacher' && teacher.trained && settings.teacherEpochs > 0 ? teacher.seconds / settings.teacherEpochs : undefined;
    const rates: RunRates = {
      teacherEpoch: mean(this.teacherEpochSeconds) ?? teacherTrained,
      candidate: mean(candidates.map((e) => e.seconds)),
      kernelFit: mean(events.flatMap((e) => (e.type === 'kernels' ? [e.seconds] : []))),
      finetuneEpoch: mean(this.finetuneEpochSeconds) ?? mean(finetuned.map((e) => e.seconds / Math.max(1, e.epochs))),
    };
    const top = candidates.filter((e) => e.status === 'ok').reduce<CandidateEvent | undefined>((b, e) => (b === undefined || e.f! > b.f! ? e : b), undefined);
    const best = this.delivered ?? (top && { name: top.name, f: top.f! });
    const { fraction, etaSeconds } = phase === 'done' ? { fraction: 1, etaSeconds: 0 } : estimate(plan, done, rates);
    this.emit({
      phase,
      step: this.step,
      steps: settings.steps,
      evaluated: candidates.length,
      total,
      ...(best && { bestF: best.f, best: best.name }),
      ...(this.training && { training: this.training }),
      fraction,
      ...(etaSeconds !== undefined && { etaSeconds }),
    });
  }
}
