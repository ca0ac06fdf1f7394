// The search loop (paper Algorithm 1) over a run directory. The journal is the state: every
// decision is recomputed from the seed and the journal, so `--resume` after a crash continues
// exactly where the run stopped and ends as an uninterrupted run would.
import { existsSync, readFileSync } from 'node:fs';
import type { SearchProgressParams } from '../../protocol';
import { countOf } from '../../protocol/format';
import { BiLstmJSON, kernelProposals, KnownCost, Proposal, randomProposals } from '../bo';
import { EncodedArchitecture } from '../space/encoding';
import { Evaluator } from '../evaluation/types';
import { CandidateEvent, JournalEvent } from '../run/journal';
import { RunDirectory, TEACHER_SPEC } from '../run/run-directory';
import { derivedSeed } from '../run/settings';
import { compression, reward } from '../space/reward';
import { SearchSpace } from '../space/space';
import { ArchitectureSpec } from '../architecture/types';
import { Costs, structuralCosts } from '../cost/objective';
import { RunCosts } from './costs';
import { EvaluationResult } from '../evaluation/types';
import { specToText } from '../architecture/write';
import { UserError } from '../util/errors';
import { fileStem } from '../util/file-name';
import { Rng } from '../util/rng';
import { RunProgress } from './progress';

/** Where a running search is (the protocol's esnac/searchProgress, less the run directory). */
export type SearchProgress = Omit<SearchProgressParams, 'runDir'>;

export interface SearchHooks {
  progress?(progress: SearchProgress): void;
  candidate?(event: CandidateEvent): void;
  log?(message: string): void;
}

export interface SearchContext {
  run: RunDirectory;
  space: SearchSpace;
  teacher: { accuracy: number; params: number };
  /** The objective's costs, the budgets and their filter. */
  costs: RunCosts;
  evaluator: Evaluator;
  /** Embeddings of another run's kernels: propose with them instead of fitting kernels. */
  transferred?: readonly BiLstmJSON[];
  hooks?: SearchHooks;
  /** The run's progress over all phases; absent, the search reports its own steps through hooks.progress. */
  progress?: RunProgress;
  signal?: AbortSignal;
}

/** The teacher spec file, relative to a candidate file (for `esnac diff` and the diff view). */
const TEACHER_FROM_CANDIDATE = `../${TEACHER_SPEC}`;

export async function runSearchSteps(context: SearchContext): Promise<void> {
  const { run, hooks } = context;
  const settings = run.manifest.settings;
  const progress = context.progress ?? new RunProgress(settings, { trainsTeacher: false, finetunes: false }, () => run.journal.read(), hooks?.progress);
  progress.setConcurrency(context.evaluator.concurrency);
  const ctx = { ...context, progress };
  const started = Date.now();
  const encodings = new Map<string, EncodedArchitecture>();
  for (let step = 1; step <= settings.steps; step++) {
    ctx.signal?.throwIfAborted();
    const events = run.journal.read();
    if (stepComplete(events, step, settings.kernels)) continue;
    if (settings.budgetMinutes > 0 && Date.now() - started > settings.budgetMinutes * 60_000) {
      hooks?.log?.(`budget of ${settings.budgetMinutes} minutes spent: stopping before step ${step}`);
      break;
    }
    const candidates = events.filter((e): e is CandidateEvent => e.type === 'candidate');
    const earlier = candidates.filter((e) => e.step < step);
    progress.searching('proposing', step);
    const proposals = await propose(ctx, step, earlier, encodings);
    const done = new Set(candidates.filter((e) => e.step === step).map((e) => e.key));
    const pending = proposals.filter((p) => !done.has(p.key));
    hooks?.log?.(`step ${step}/${settings.steps}: evaluating ${countOf(pending.length, 'candidate')}`);
    progress.searching('evaluating', step);
    // Latencies are timed one at a time before any training starts, on a machine otherwise idle.
    const costs = new Map<string, Awaited<ReturnType<typeof measureCosts>>>();
    for (const p of pending) costs.set(p.key, await measureCosts(ctx, p.spec, p.key));
    await Promise.all(pending.map((p) => evaluate(ctx, step, p, costs.get(p.key)!)));
  }
}

/** A step is complete once its candidates are all in the journal. */
function stepComplete(events: JournalEvent[], step: number, perStep: number): boolean {
  const later = events.some((e) => e.type === 'candidate' && e.step > step);
  const count = events.filter((e) => e.type === 'candidate' && e.step === step).length;
  return later || count >= perStep;
}

async function propose(ctx: SearchContext, step: number, earlier: CandidateEvent[], encodings: Map<string, EncodedArchitecture>): Promise<Proposal[]> {
  const settings = ctx.run.manifest.settings;
  const seen = new Set(earlier.map((e) => e.key));
  if (step === 1 || settings.method === 'random') {
    return randomProposals(ctx.space, new Rng(derivedSeed(settings.seed, 'random', step)), settings.kernels, seen, 'random', ctx.costs.filter, ctx.signal);
  }
  const evaluated = earlier
    .filter((e) => e.status === 'ok')
    .sort((a, b) => a.step - b.step || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const started = Date.now();
  const files: string[] = [];
  const proposals = await kernelProposals({
    space: ctx.space,
    settings,
    step,
    evaluated,
    seen,
    encodings,
    transferred: ctx.transferred,
    filter: ctx.costs.filter,
    ...(ctx.costs.objective === 'latency' && { knownCost: predictedLatencyCost(ctx) }),
    timesCandidates: ctx.costs.measuresLatency,
    signal: ctx.signal,
    onKernel: (k, kernel) => {
      const file = `kernels/step-${step}-kernel-${k + 1}.json`;
      // A resumed step refits the same kernels; the first run's file stands.
      if (!existsSync(ctx.run.path(file))) ctx.run.writeNew(file, JSON.stringify(kernel) + '\n');
      files.push(file);
    },
  });
  if (!ctx.run.journal.read().some((e) => e.type === 'kernels' && e.step === step)) {
    ctx.run.journal.append({ type: 'kernels', step, files, seconds: (Date.now() - started) / 1000 });
  }
  const fresh = new Set([...seen, ...proposals.map((p) => p.key)]);
  // Kernels whose every sample was already evaluated propose nothing: fill up at random.
  const missing = settings.kernels - proposals.length;
  if (missing <= 0) return proposals;
  return [...proposals, ...(await randomProposals(ctx.space, new Rng(derivedSeed(settings.seed, 'fill', step)), missing, fresh, 'random', ctx.costs.filter, ctx.signal))];
}

async function evaluate(ctx: SearchContext & { progress: RunProgress }, step: number, proposal: Proposal, measured: { costs: Costs } | { reason: string }): Promise<void> {
  const { run } = ctx;
  const spec = { ...proposal.spec, candidate: { ...proposal.spec.candidate!, teacherPath: TEACHER_FROM_CANDIDATE } };
  const name = spec.name;
  const stem = fileStem(name);
  const specFile = `candidates/${stem}.arch.yaml`;
  writeCandidateSpec(run, specFile, specToText(spec, 'yaml'));
  const weights = `candidates/${stem}.weights`;
  const costs = 'costs' in measured ? measured.costs : structuralCosts(spec);
  const base = { type: 'candidate' as const, step, name, key: proposal.key, spec: specFile, action: proposal.action, proposedBy: proposal.proposedBy, ...costs };
  // A measured cost over a budget (the prediction let it through) decides: no training.
  const refused = 'reason' in measured ? measured.reason : ctx.costs.violation(costs);
  const result: EvaluationResult = refused
    ? { status: 'failed', reason: refused, seconds: 0 }
    : await ctx.evaluator.evaluate({ name, spec, outDir: run.path(weights) }, ctx.signal);
  ctx.signal?.throwIfAborted();
  const f = result.status === 'ok' ? reward({ cost: ctx.costs.cost(costs), accuracy: result.accuracy }, { cost: ctx.costs.cost(ctx.costs.teacher), accuracy: ctx.teacher.accuracy }) : NaN;
  const event: CandidateEvent =
    result.status === 'ok' && Number.isFinite(f)
      ? {
          ...base,
          status: 'ok',
          accuracy: result.accuracy,
          f,
          seconds: result.seconds,
          backend: result.backend,
          ...(existsSync(run.path(weights)) ? { weights } : {}),
        }
      : { ...base, status: 'failed', reason: result.status === 'ok' ? `its accuracy ${result.accuracy} gives no finite f` : result.reason, seconds: result.seconds };
  run.journal.append(event);
  ctx.hooks?.candidate?.(event);
  if (event.status === 'failed') ctx.hooks?.log?.(`${name} failed: ${event.reason}`);
  ctx.progress.searching('evaluating', step);
}

/** g = C (2 - C) of a candidate's predicted latency, for the acquisition (see proposals' predictedReward). */
function predictedLatencyCost(ctx: SearchContext): KnownCost {
  const predictor = ctx.costs.predictor!;
  const teacherMs = ctx.costs.teacher.latency!.ms;
  return {
    teacherAccuracy: ctx.teacher.accuracy,
    prepare: (specs, signal) => predictor.prepare(specs, signal),
    factor: (spec) => {
      const c = compression(predictor.predict(spec).ms, teacherMs);
      return c * (2 - c);
    },
  };
}

/** The candidate's costs, or why they could not be measured (a failing latency command). */
async function measureCosts(ctx: SearchContext, spec: ArchitectureSpec, key: string): Promise<{ costs: Costs } | { reason: string }> {
  try {
    return { costs: await ctx.costs.measure(spec, key, ctx.signal) };
  } catch (err) {
    if (ctx.signal?.aborted || !(err instanceof UserError)) throw err;
    return { reason: err.message };
  }
}

/** A spec file of a candidate; one left by an interrupted attempt must say the same. */
function writeCandidateSpec(run: RunDirectory, file: string, text: string): void {
  if (existsSync(run.path(file))) {
    if (readFileSync(run.path(file), 'utf8') !== text) throw new UserError(`${run.path(file)} differs from the candidate the run regenerates: was it edited?`);
    return;
  }
  run.writeNew(file, text);
}
