// Where a run is, over all its phases: teacher training, the search steps (kernel fitting, then
// the candidates), fine-tuning and the test measurement. The journal says what is done; the
// epochs of the network training now come from its trainer. The estimate weighs each phase by
// its time at the rates measured so far: a teacher epoch, a candidate (per parallel worker),
// a kernel fit, a fine-tuning epoch; a phase not measured yet borrows from one that was. Before
// a run, run setup prices a budget with the same estimate at the rates a quick measurement gave
// (plannedRates).
import type { SearchPhase, SpeedResult, TrainingProgress } from '../../protocol';
import { CandidateEvent, FinetuneEvent, JournalEvent } from '../run/journal';
import { SearchSettings } from '../run/settings';
import type { SearchProgress } from './search';

/** The work of a whole run, in units that each take a measurable time. */
export interface RunPlan {
  /** 0 when the teacher's weights are given. */
  teacherEpochs: number;
  /** steps x kernels. */
  candidates: number;
  /** For each step that fits kernels (BO steps after the first), in order: the architectures its kernels fit on, all kernels together (kernelFitSizes). */
  kernelFits: number[];
  /** Epochs each candidate trains. */
  epochs: number;
  /** Candidates trained at once. */
  concurrency: number;
  /** Fine-tuning epochs of all students together. */
  finetuneEpochs: number;
}

/** Units done; `kernelFits` counts the fitting steps done (the first ones: steps end in order). */
export type RunDone = Pick<RunPlan, 'teacherEpochs' | 'candidates' | 'finetuneEpochs'> & { kernelFits: number };

/** Seconds each unit took; undefined where none was measured yet. */
export interface RunRates {
  teacherEpoch?: number;
  /** One candidate's training (its own seconds, not divided among the workers). */
  candidate?: number;
  /** A fitting step takes perStep + perArchitecture x its size (RunPlan.kernelFits). */
  kernelFit?: { perStep: number; perArchitecture: number };
  finetuneEpoch?: number;
}

type PlannedSettings = Pick<SearchSettings, 'steps' | 'kernels' | 'epochs' | 'method' | 'subsetProbability' | 'teacherEpochs' | 'finetuneTop' | 'finetuneEpochs'>;

/**
 * The architectures each fitting step's kernels fit on, expected: bagging keeps the teacher and
 * each candidate of the earlier steps with probability subsetProbability (engine/bo/bagging.ts),
 * for each of the K kernels. A fit's optimiser steps each embed all of them, so its time grows
 * with this size; failed candidates, left out of the fits, make it an upper bound.
 */
export function kernelFitSizes(settings: Pick<SearchSettings, 'steps' | 'kernels' | 'method' | 'subsetProbability'>): number[] {
  if (settings.method !== 'bo') return [];
  return Array.from({ length: Math.max(0, settings.steps - 1) }, (_, i) => settings.kernels * (1 + settings.subsetProbability * settings.kernels * (i + 1)));
}

/** The run's work with these settings; `work` as RunProgress's. */
export function runPlan(settings: PlannedSettings, work: { trainsTeacher: boolean; finetunes: boolean }, concurrency: number): RunPlan {
  const candidates = settings.steps * settings.kernels;
  return {
    teacherEpochs: work.trainsTeacher ? settings.teacherEpochs : 0,
    candidates,
    kernelFits: kernelFitSizes(settings),
    epochs: settings.epochs,
    concurrency,
    finetuneEpochs: work.finetunes && settings.finetuneEpochs > 0 ? Math.min(settings.finetuneTop, candidates) * settings.finetuneEpochs : 0,
  };
}

/**
 * The rates a run with these settings will have, from a quick measurement (engine/search/speed.ts)
 * on `examples` (the run's split sizes, after its limits). An epoch is its training images at the
 * measured training rate plus its validation images at the validation rate, the teacher's and a
 * candidate's each their own; a candidate adds its overhead outside the epochs. A fine-tuned
 * student is a candidate trained on labels: without the teacher's forward pass, so the
 * distillation rate prices it a little high. K kernels fit at once on `threads`, so a step takes
 * ceil(K / threads) kernels' time, each kernel maxSteps optimiser steps (a fixed part and a part per
 * architecture it fits on; maxSteps is an upper bound: the stopping rule may end a fit earlier),
 * then scoring acquisitionSamples.
 */
export function plannedRates(
  speed: SpeedResult,
  settings: Pick<SearchSettings, 'kernels' | 'epochs' | 'acquisitionSamples' | 'kernelFit'>,
  examples: { train: number; validation: number },
): Required<RunRates> {
  const epoch = (rates: { imagesPerSecond: number; validationImagesPerSecond: number }) =>
    examples.train / Math.max(1e-9, rates.imagesPerSecond) + examples.validation / Math.max(1e-9, rates.validationImagesPerSecond);
  const candidateEpoch = epoch(speed.candidate);
  const { secondsPerStep, secondsPerArchitectureStep, secondsPerArchitectureScored, threads } = speed.kernelFit;
  const rounds = Math.ceil(settings.kernels / Math.max(1, Math.min(threads, settings.kernels)));
  return {
    teacherEpoch: epoch(speed),
    candidate: speed.candidate.overheadSeconds + settings.epochs * candidateEpoch,
    kernelFit: {
      perStep: rounds * (settings.kernelFit.maxSteps * secondsPerStep + settings.acquisitionSamples * secondsPerArchitectureScored),
      perArchitecture: (rounds / settings.kernels) * settings.kernelFit.maxSteps * secondsPerArchitectureStep,
    },
    finetuneEpoch: candidateEpoch,
  };
}

/** The run's share done (0..1) and the seconds left; no seconds before any training was timed. */
export function estimate(plan: RunPlan, done: RunDone, rates: RunRates): { fraction: number; etaSeconds?: number } {
  // One epoch of cross-entropy training, the common measure when a phase has no rate of its own.
  const epoch = rates.teacherEpoch ?? rates.finetuneEpoch ?? (rates.candidate === undefined ? undefined : rates.candidate / plan.epochs);
  const unit = epoch ?? 1;
  const concurrency = Math.max(1, plan.concurrency);
  const fit = rates.kernelFit ?? { perStep: 0, perArchitecture: 0 };
  const fitSeconds = (sizes: number[]) => sizes.reduce((sum, size) => sum + fit.perStep + fit.perArchitecture * size, 0);
  // [total seconds, seconds left] of each phase.
  const parts: [number, number][] = [
    ...[
      [plan.teacherEpochs, done.teacherEpochs, rates.teacherEpoch ?? unit],
      [plan.candidates, done.candidates, (rates.candidate ?? unit * plan.epochs) / concurrency],
      [plan.finetuneEpochs, done.finetuneEpochs, rates.finetuneEpoch ?? unit],
    ].map(([count, finished, seconds]): [number, number] => [count * seconds, Math.max(0, count - finished) * seconds]),
    [fitSeconds(plan.kernelFits), fitSeconds(plan.kernelFits.slice(done.kernelFits))],
  ];
  const total = parts.reduce((sum, [all]) => sum + all, 0);
  const left = parts.reduce((sum, [, rest]) => sum + rest, 0);
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
    const plan = runPlan(settings, this.work, this.concurrency);
    const total = plan.candidates;
    const finetuneTotal = plan.finetuneEpochs;
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
      kernelFit: kernelFitRate(events, plan.kernelFits),
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

/**
 * The fitting steps' rates from those done: the journal has each step's seconds, not their parts,
 * so the line perStep + perArchitecture x size is fitted to them (least squares, neither part
 * negative); one step alone, or steps of one size, are priced flat.
 */
function kernelFitRate(events: JournalEvent[], sizes: number[]): RunRates['kernelFit'] {
  const fitted = events.flatMap((e) => (e.type === 'kernels' && sizes[e.step - 2] !== undefined ? [{ seconds: e.seconds, size: sizes[e.step - 2] }] : []));
  if (fitted.length === 0) return undefined;
  const meanSize = mean(fitted.map((e) => e.size))!;
  const meanSeconds = mean(fitted.map((e) => e.seconds))!;
  const spread = fitted.reduce((sum, e) => sum + (e.size - meanSize) ** 2, 0);
  if (spread === 0) return { perStep: meanSeconds, perArchitecture: 0 };
  const slope = Math.max(0, fitted.reduce((sum, e) => sum + (e.size - meanSize) * (e.seconds - meanSeconds), 0) / spread);
  const intercept = meanSeconds - slope * meanSize;
  return intercept >= 0 ? { perStep: intercept, perArchitecture: slope } : { perStep: 0, perArchitecture: meanSeconds / meanSize };
}
