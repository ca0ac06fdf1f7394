// After the search steps: the top candidates are fine-tuned, trained further with cross-entropy
// from their search weights; the best student is written next to the better of its weights; then,
// and only then, the teacher, the delivered students and the validation front's candidates are
// measured on the held-out test split; the report leads with those numbers and the run's Pareto
// front is drawn against them.
import { countOf } from '../../protocol/format';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureReason } from '../evaluation/local/candidate';
import { EvaluationResult } from '../evaluation/types';
import { loadModel, writeModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights } from '../model/weights';
import { Objective } from '../cost/objective';
import { DoneEvent, FinetuneEvent, JournalEvent, TeacherEvent, TestEvent, WeightsChoice } from '../run/journal';
import { frontSpecFile, PARETO_FOLDER, RankedCandidate, rankCandidates, renderReport, runFront, validationFront } from '../run/report';
import { evaluateAccuracy } from '../train/loop';
import { RunDirectory, TEACHER_SPEC } from '../run/run-directory';
import { derivedSeed, SearchSettings } from '../run/settings';
import { reward } from '../space/reward';
import { ArchitectureSpec } from '../architecture/types';
import { specToText } from '../architecture/write';
import { RunCosts } from './costs';
import { writeFolderAtomic } from '../util/atomic-write';
import { fileStem } from '../util/file-name';
import { PytorchEvaluator } from '../evaluation/pytorch/evaluator';
import { datasetFor, epochLine, fit, optimiser, RunData } from './fit';
import { RunProgress } from './progress';
import { EpochReport } from '../train/loop';
import { SearchHooks } from './search';

export interface FinetuneRequest {
  name: string;
  spec: ArchitectureSpec;
  /** The candidate's search weights (absolute folder), when it kept them. */
  weights?: string;
  outDir: string;
  epochs: number;
}

export type Finetuner = (request: FinetuneRequest, signal?: AbortSignal, onEpoch?: (e: EpochReport) => void) => Promise<EvaluationResult>;

/** A network to measure on the test split: its spec and weights folder (absolute). */
export interface TestRequest {
  name: string;
  spec: ArchitectureSpec;
  weights: string;
}

export interface TestMeasure {
  /** What the test split is, in words. */
  source: string;
  examples: number;
  /** One per request, in order. */
  accuracies: number[];
  /** What the reader noticed (unreadable test images skipped...). */
  notes: string[];
}

/** Measures networks on the test split; undefined when the dataset has none. */
export type TestEvaluator = (requests: TestRequest[], signal?: AbortSignal) => Promise<TestMeasure | undefined>;

export interface FinishContext {
  run: RunDirectory;
  teacher: Pick<TeacherEvent, 'accuracy' | 'params' | 'weights'>;
  costs: RunCosts;
  /** Absent: no fine-tuning, whatever the settings say (e.g. an external evaluator). */
  finetune?: Finetuner;
  /** The final, and only, reader of the test split. */
  test: TestEvaluator;
  loadSpec: (path: string) => Promise<ArchitectureSpec>;
  hooks?: SearchHooks;
  /** The run's progress: fine-tuning epochs, then the test measurement. */
  progress?: RunProgress;
  signal?: AbortSignal;
}

/** Fine-tunes a candidate from its search weights with cross-entropy. */
export async function finetuneCandidate(request: FinetuneRequest, dataset: RunData, settings: SearchSettings, signal?: AbortSignal, pytorch?: PytorchEvaluator, onEpoch?: (e: EpochReport) => void): Promise<EvaluationResult> {
  const seed = derivedSeed(settings.seed, 'finetune', request.name);
  if (pytorch) {
    const record = { ...optimiser(settings), seed, finetuned: true };
    return pytorch.fit({ spec: request.spec, ...(request.weights ? { initial: request.weights } : {}), out: request.outDir, epochs: request.epochs, seed, ...optimiser(settings), record }, signal, onEpoch);
  }
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const data = await datasetFor(dataset);
    const result = await fit(request.spec, data, request.epochs, seed, settings, { signal, from: request.weights, onEpoch });
    writeModel(request.outDir, { ...result.model, training: { ...result.model.training, finetuned: true } }, true);
    return { status: 'ok', accuracy: result.accuracy, params: result.params, seconds: seconds(), backend: 'main thread' };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { status: 'failed', reason: failureReason(err), seconds: seconds() };
  }
}

/** Reads the test split (its first and only reading in a run) and measures each network on it. */
export async function measureOnTestSplit(requests: TestRequest[], dataset: RunData, signal?: AbortSignal): Promise<TestMeasure | undefined> {
  const data = await datasetFor(dataset);
  if (!data.test) return undefined;
  const { split, notes } = await data.test.read();
  const accuracies: number[] = [];
  for (const request of requests) {
    signal?.throwIfAborted();
    const loaded = loadModel(request.weights);
    let net: Network;
    try {
      net = new Network(request.spec, loaded.weights);
    } finally {
      disposeWeights(loaded.weights);
    }
    try {
      accuracies.push(await evaluateAccuracy(net, split, data));
    } finally {
      net.dispose();
    }
  }
  return { source: data.test.source, examples: split.count, accuracies, notes };
}

export const BEST_SPEC = 'best.arch.yaml';
export const BEST_WEIGHTS = 'best.weights';
export const REPORT = 'report.md';

export async function finishRun(ctx: FinishContext): Promise<DoneEvent | undefined> {
  const { run } = ctx;
  const settings = run.manifest.settings;
  const ranked = rankCandidates(run.journal.read());
  if (ranked.length === 0) {
    ctx.hooks?.log?.('no candidate was evaluated successfully: nothing to write');
    return undefined;
  }
  if (ctx.finetune && settings.finetuneTop > 0 && settings.finetuneEpochs > 0) {
    const top = ranked.slice(0, settings.finetuneTop);
    for (const [index, { event, finetune }] of top.entries()) {
      if (finetune) continue;
      ctx.signal?.throwIfAborted();
      ctx.hooks?.log?.(`fine-tuning ${event.name} for ${countOf(settings.finetuneEpochs, 'epoch')} (student ${index + 1}/${top.length})`);
      ctx.progress?.finetuneStarts(event.name, index + 1, top.length);
      const outDir = `candidates/${fileStem(event.name)}.finetuned`;
      const result = await ctx.finetune(
        {
          name: event.name,
          spec: await ctx.loadSpec(run.path(event.spec)),
          weights: event.weights && run.path(event.weights),
          outDir: run.path(outDir),
          epochs: settings.finetuneEpochs,
        },
        ctx.signal,
        (e) => {
          ctx.hooks?.log?.(epochLine(e, settings.finetuneEpochs));
          ctx.progress?.epochEnded(e);
        },
      );
      ctx.signal?.throwIfAborted();
      const tuned: FinetuneEvent =
        result.status === 'ok' && Number.isFinite(result.accuracy)
          ? { type: 'finetune', name: event.name, status: 'ok', epochs: settings.finetuneEpochs, accuracy: result.accuracy, f: reward({ cost: ctx.costs.cost(event), accuracy: result.accuracy }, { cost: ctx.costs.cost(ctx.costs.teacher), accuracy: ctx.teacher.accuracy }), weights: outDir, seconds: result.seconds }
          : { type: 'finetune', name: event.name, status: 'failed', epochs: settings.finetuneEpochs, reason: result.status === 'ok' ? `accuracy ${result.accuracy}` : result.reason, seconds: result.seconds };
      run.journal.append(tuned);
    }
  }
  const final = rankCandidates(run.journal.read());
  const [best] = final;
  const bestSpec = await ctx.loadSpec(run.path(best.event.spec));
  // best.arch.yaml sits beside teacher.arch.yaml, not in candidates/: its teacher path changes.
  writeOnce(run, BEST_SPEC, specToText({ ...bestSpec, candidate: { ...bestSpec.candidate!, teacherPath: TEACHER_SPEC } }, 'yaml'));
  const chosen = betterWeights(run, best);
  if (chosen && !existsSync(run.path(BEST_WEIGHTS))) {
    writeFolderAtomic(run.path(BEST_WEIGHTS), (temporary) => cpSync(run.path(chosen.weights), temporary, { recursive: true }));
  } else if (!chosen && (best.event.weights || best.finetune?.weights)) {
    ctx.hooks?.log?.(`warning: the weights of ${best.event.name} are gone, so the run has no ${BEST_WEIGHTS}; train ${BEST_SPEC} again to get its weights`);
  }
  if (!run.journal.read().some((e) => e.type === 'test')) await measureOnTest(ctx, final, best);
  writeFront(run, run.journal.read(), ctx.costs.objective);
  const done: DoneEvent = {
    type: 'done',
    best: best.event.name,
    bestSpec: BEST_SPEC,
    f: best.event.f!,
    ...(chosen ? { bestWeights: chosen.choice, bestValidationAccuracy: chosen.accuracy } : {}),
  };
  if (!run.journal.read().some((e) => e.type === 'done')) run.journal.append(done);
  if (!existsSync(run.path(REPORT))) run.writeNew(REPORT, renderReport(run.manifest, run.journal.read()));
  return done;
}

/** Of the search and fine-tuned weights, those with the better validation accuracy (ties: the search's). */
export function betterWeights(run: RunDirectory, candidate: RankedCandidate): { weights: string; choice: WeightsChoice; accuracy: number } | undefined {
  const { event, finetune } = candidate;
  const present = (dir: string | undefined): dir is string => dir !== undefined && existsSync(join(run.path(dir), 'model.json'));
  const search = present(event.weights) ? { weights: event.weights, choice: 'search' as const, accuracy: event.accuracy! } : undefined;
  const tuned = finetune?.status === 'ok' && present(finetune.weights) ? { weights: finetune.weights, choice: 'fine-tuned' as const, accuracy: finetune.accuracy! } : undefined;
  if (search && tuned) return tuned.accuracy > search.accuracy ? tuned : search;
  return search ?? tuned;
}

/**
 * The teacher, the delivered students (the best, and every other fine-tuned one) and the
 * candidates of the validation front on the test split, each with its better weights; one journal
 * line each. The run's front is then drawn against test accuracy from these.
 */
async function measureOnTest(ctx: FinishContext, ranked: RankedCandidate[], best: RankedCandidate): Promise<void> {
  const { run } = ctx;
  const front = new Set(validationFront(run.journal.read(), ctx.costs.objective).map((c) => c.event.name));
  const students = ranked.filter((r) => r === best || r.finetune?.status === 'ok' || front.has(r.event.name)).flatMap((r) => {
    const chosen = betterWeights(run, r);
    return chosen ? [{ candidate: r, chosen }] : [];
  });
  const requests: TestRequest[] = [
    { name: 'teacher', spec: await ctx.loadSpec(run.path(TEACHER_SPEC)), weights: run.path(ctx.teacher.weights) },
    ...(await Promise.all(students.map(async ({ candidate, chosen }) => ({ name: candidate.event.name, spec: await ctx.loadSpec(run.path(candidate.event.spec)), weights: run.path(chosen.weights) })))),
  ];
  ctx.signal?.throwIfAborted();
  ctx.progress?.testing();
  ctx.hooks?.log?.(`measuring the teacher and ${countOf(students.length, 'student')} (delivered or on the validation front) on the held-out test split (read now, for the first time)`);
  const measured = await ctx.test(requests, ctx.signal);
  if (!measured) {
    ctx.hooks?.log?.(`${run.manifest.dataset} has no test split: no held-out accuracy (validation accuracy is what the search optimised)`);
    return;
  }
  measured.notes.forEach((note) => ctx.hooks?.log?.(`test split: ${note}`));
  requests.forEach((request, i) => {
    const student = students.find((s) => s.candidate.event.name === request.name);
    const event: TestEvent = {
      type: 'test',
      name: request.name,
      accuracy: measured.accuracies[i],
      examples: measured.examples,
      ...(student ? { weights: student.chosen.choice } : {}),
      source: measured.source,
    };
    run.journal.append(event);
  });
}

/** The front's candidate specs, copied into pareto/: at candidates/' depth, so their teacher path holds. */
function writeFront(run: RunDirectory, events: JournalEvent[], objective: Objective): void {
  mkdirSync(run.path(PARETO_FOLDER), { recursive: true });
  for (const { event } of runFront(events, objective).candidates) writeOnce(run, frontSpecFile(event), readFileSync(run.path(event.spec), 'utf8'));
}

/** Writes a run file; one left by an interrupted attempt is kept if identical. */
function writeOnce(run: RunDirectory, file: string, text: string): void {
  if (existsSync(run.path(file)) && readFileSync(run.path(file), 'utf8') === text) return;
  run.writeNew(file, text);
}
