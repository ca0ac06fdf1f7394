// report.md: the run's top candidates against the teacher, as in the paper's Table 1, and the
// Pareto front of cost against accuracy.
import { costOf, COST_NAMES, Latency, Objective } from '../cost/objective';
import { paretoFront } from '../cost/pareto';
import { BestCandidate, describeNormalisation } from '../../protocol';
import { costRatioFormula, countOf, formatCount, REWARD_FORMULA } from '../../protocol/format';
import { CandidateEvent, CostsEvent, DoneEvent, FinetuneEvent, JournalEvent, TeacherEvent, TestEvent } from './journal';
import { RunManifest } from './run-directory';
import { markdownText } from '../util/text';

export interface RankedCandidate {
  event: CandidateEvent;
  finetune?: FinetuneEvent;
}

/** Successful candidates, best f first (ties: fewer params first, then name). */
export function rankCandidates(events: JournalEvent[]): RankedCandidate[] {
  const finetunes = new Map(events.filter((e): e is FinetuneEvent => e.type === 'finetune').map((e) => [e.name, e]));
  return events
    .filter((e): e is CandidateEvent => e.type === 'candidate' && e.status === 'ok')
    .sort((a, b) => b.f! - a.f! || a.params - b.params || a.name.localeCompare(b.name))
    .map((event) => ({ event, finetune: finetunes.get(event.name) }));
}

/** The student a finished run delivers (or the best so far), with the numbers a user judges it by: the wire type. */
export type BestStudent = BestCandidate;

/** The delivered student of a finished run (the done event's), else the top candidate so far. */
export function bestStudent(events: JournalEvent[], specPath: (candidateSpec: string, finished: boolean) => string): BestStudent | undefined {
  const done = events.find((e): e is DoneEvent => e.type === 'done');
  const ranked = rankCandidates(events);
  const chosen = done ? ranked.find((r) => r.event.name === done.best) : ranked[0];
  if (!chosen) return undefined;
  const { name, spec, f, accuracy, params } = chosen.event;
  const teacher = events.find((e): e is TeacherEvent => e.type === 'teacher');
  const tests = new Map(events.filter((e): e is TestEvent => e.type === 'test').map((e) => [e.name, e]));
  const studentTest = tests.get(name);
  const teacherTest = tests.get('teacher');
  return {
    name,
    spec: specPath(spec, done !== undefined),
    f: f!,
    accuracy: accuracy!,
    params,
    ...(teacher ? { teacherParams: teacher.params } : {}),
    ...(done?.bestWeights ? { weights: done.bestWeights, validationAccuracy: done.bestValidationAccuracy } : {}),
    ...(studentTest && teacherTest ? { test: { accuracy: studentTest.accuracy, teacher: teacherTest.accuracy, examples: studentTest.examples, source: studentTest.source } } : {}),
  };
}

/**
 * The accuracy a candidate is judged by at the end: after fine-tuning where it was fine-tuned,
 * else its search-time accuracy (both on the validation split).
 */
export function finalAccuracy({ event, finetune }: RankedCandidate): number {
  return finetune?.status === 'ok' ? finetune.accuracy! : event.accuracy!;
}

/** The candidates no other beats on both the objective's cost and final (validation) accuracy, cheapest first. */
export function validationFront(events: JournalEvent[], objective: Objective): RankedCandidate[] {
  return paretoFront(byStep(rankCandidates(events)), (c) => costOf(objective, c.event), finalAccuracy);
}

function byStep(candidates: RankedCandidate[]): RankedCandidate[] {
  return candidates.sort((a, b) => a.event.step - b.event.step || a.event.name.localeCompare(b.event.name));
}

/** A candidate on the run's front, with the accuracy the front judged it by. */
export interface FrontCandidate extends RankedCandidate {
  accuracy: number;
}

/**
 * The run's result: the front of cost against held-out test accuracy where the run measured
 * candidates on a test split (those on the validation front and the delivered students, at the
 * end), else against final validation accuracy; `split` says which. Cheapest first.
 */
export function runFront(events: JournalEvent[], objective: Objective): { split: 'test' | 'validation'; candidates: FrontCandidate[] } {
  const tests = new Map(events.filter((e): e is TestEvent => e.type === 'test' && e.name !== 'teacher').map((e) => [e.name, e.accuracy]));
  const ranked = byStep(rankCandidates(events));
  const tested = ranked.filter((c) => tests.has(c.event.name));
  const split = tested.length > 0 ? 'test' : 'validation';
  const scored = split === 'test' ? tested.map((c) => ({ ...c, accuracy: tests.get(c.event.name)! })) : ranked.map((c) => ({ ...c, accuracy: finalAccuracy(c) }));
  return { split, candidates: paretoFront(scored, (c) => costOf(objective, c.event), (c) => c.accuracy) };
}

/** Where finishing a run copies the front's specs. */
export const PARETO_FOLDER = 'pareto';

/** A front candidate's spec in pareto/: the file name of its spec in candidates/. */
export function frontSpecFile(event: CandidateEvent): string {
  return `${PARETO_FOLDER}/${event.spec.slice(event.spec.lastIndexOf('/') + 1)}`;
}

/** Mean and median |predicted - measured| / measured over candidates with both latencies. */
export function tableError(events: JournalEvent[]): { count: number; mean: number; median: number } | undefined {
  const errors = events
    .flatMap((e) => (e.type === 'candidate' && e.latency && e.predictedLatency ? [Math.abs(e.predictedLatency.ms - e.latency.ms) / e.latency.ms] : []))
    .sort((a, b) => a - b);
  if (errors.length === 0) return undefined;
  const middle = errors.length >> 1;
  const median = errors.length % 2 ? errors[middle] : (errors[middle - 1] + errors[middle]) / 2;
  return { count: errors.length, mean: errors.reduce((s, e) => s + e, 0) / errors.length, median };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * The one line a run ends with (the CLI's last line, report.md's first): the delivered student's
 * held-out test accuracy next to the teacher's, its size, then what the search optimised.
 */
export function headline(best: BestStudent): string {
  const size = `${best.params.toLocaleString('en-US')} params${best.teacherParams ? ` (${(best.teacherParams / best.params).toFixed(1)}x smaller than the teacher)` : ''}`;
  const measured = best.test
    ? `test accuracy ${pct(best.test.accuracy)} (teacher ${pct(best.test.teacher)}, ${best.test.examples.toLocaleString('en-US')} held-out examples)`
    : 'no held-out test accuracy (the dataset has no test split)';
  const weights = best.weights ? `; delivered weights: ${best.weights} (validation ${pct(best.validationAccuracy!)})` : '';
  return `best student ${best.name}: ${measured}, ${size}; search validation accuracy ${pct(best.accuracy)}, f ${best.f.toFixed(4)}${weights}`;
}
const ms = (l: Latency | undefined) => (l ? `${l.ms.toFixed(3)} ± ${l.noiseMs.toFixed(3)}` : '');
const macs = (n: number | undefined) => (n === undefined ? '' : formatCount(n));

function preprocessingLines(manifest: RunManifest): string[] {
  const p = manifest.preprocessing;
  if (!p) return [`Preprocessing: normalisation ${markdownText(manifest.settings.normalise ?? 'dataset')}, augmentation ${markdownText(manifest.settings.augment ?? 'auto')} (numbers not recorded by this run's version).`];
  return [`Input: ${markdownText(describeNormalisation(p.normalisation))}; training augmentation: ${markdownText(p.augment)}. Exported students expect the same input.`];
}

export function renderReport(manifest: RunManifest, events: JournalEvent[], top = 10): string {
  const teacher = events.find((e): e is TeacherEvent => e.type === 'teacher');
  const costs = events.find((e): e is CostsEvent => e.type === 'costs');
  const teacherCosts = { macs: costs?.teacher.macs, latency: costs?.teacher.latency };
  const ranked = rankCandidates(events);
  const evaluated = events.filter((e) => e.type === 'candidate');
  const failed = evaluated.filter((e) => e.type === 'candidate' && e.status === 'failed').length;
  const s = manifest.settings;
  const best = bestStudent(events, (spec) => spec);
  const tests = new Map(events.filter((e): e is TestEvent => e.type === 'test').map((e) => [e.name, e.accuracy]));
  const testColumn = tests.size > 0;
  const objective = s.objective;
  const cost = COST_NAMES[objective];
  const teacherCost = teacher ? costOf(objective, { params: teacher.params, ...teacherCosts }) : NaN;
  const lines = [
    `# Compression of ${markdownText(manifest.teacher.name)} on ${markdownText(manifest.dataset)}`,
    '',
    ...(best ? [`**${headline({ ...best, name: markdownText(best.name) })}.**`, ''] : []),
    ...(best?.test ? [`Test split: ${markdownText(best.test.source)}, read once at the end; every choice before it (search, fine-tuning, best weights) used the validation split.`, ''] : []),
    ...preprocessingLines(manifest),
    '',
    `Method ${markdownText(s.method)}, seed ${s.seed}, ${countOf(s.steps, 'step')} x ${countOf(s.kernels, 'candidate')}, ${countOf(s.epochs, 'distillation epoch')} per candidate, ${trainedBy(manifest)}.`,
    `${evaluated.length} candidates evaluated${failed ? ` (${failed} failed)` : ''}.`,
    `Objective: ${objective} (${costRatioFormula(cost.title)})${latencyLine(manifest, costs?.meter)}.${budgetLine(manifest)}`,
    '',
    `| architecture | validation accuracy (search) | fine-tuned |${testColumn ? ' test accuracy |' : ''} params | MACs | latency (ms) | ratio | times ${cost.fewer} | f |`,
    `|---|---|---|${testColumn ? '---|' : ''}---|---|---|---|---|---|`,
  ];
  const testCell = (name: string) => (testColumn ? ` ${tests.has(name) ? pct(tests.get(name)!) : ''} |` : '');
  if (teacher) lines.push(`| teacher | ${pct(teacher.accuracy)} | |${testCell('teacher')} ${formatCount(teacher.params)} | ${macs(teacherCosts.macs)} | ${ms(teacherCosts.latency)} | 0 | 1.00x | 0 |`);
  for (const { event, finetune } of ranked.slice(0, top)) {
    const eventCost = costOf(objective, event);
    const tuned = finetune?.status === 'ok' ? pct(finetune.accuracy!) : '';
    lines.push(
      `| ${markdownText(event.name)} | ${pct(event.accuracy!)} | ${tuned} |${testCell(event.name)} ${formatCount(event.params)} | ${macs(event.macs)} | ${ms(event.latency)} | ${(1 - eventCost / teacherCost).toFixed(4)} | ${(teacherCost / eventCost).toFixed(2)}x | ${event.f!.toFixed(4)} |`,
    );
  }
  lines.push('', `Ratio is ${costRatioFormula(cost.title)}; ${REWARD_FORMULA}, from search-time validation accuracy.`, '');
  lines.push(...frontSection(events, objective), ...tableErrorLine(events));
  return lines.join('\n');
}

function latencyLine({ settings }: RunManifest, meter: string | undefined): string {
  if (!meter) return '';
  const { repeats, warmup } = settings.latency;
  const how = settings.latency.command.trim() ? '' : `, median of ${repeats} runs after ${warmup} (± half the interquartile range)`;
  return `; latency measured with ${markdownText(meter)}${how}`;
}

function budgetLine({ settings }: RunManifest): string {
  const b = settings.budgets;
  const parts = [
    ...(b.maxParams > 0 ? [`at most ${b.maxParams} params`] : []),
    ...(b.maxMacs > 0 ? [`at most ${b.maxMacs} MACs`] : []),
    ...(b.maxLatencyMs > 0 ? [`at most ${b.maxLatencyMs} ms`] : []),
    ...(b.minRatio > 0 ? [`at least ${b.minRatio}x ${COST_NAMES[settings.objective].fewer}`] : []),
  ];
  return parts.length ? ` Budgets: ${parts.join(', ')}.` : '';
}

function frontSection(events: JournalEvent[], objective: Objective): string[] {
  const { split, candidates } = runFront(events, objective);
  if (candidates.length === 0) return [];
  const cost = COST_NAMES[objective];
  const basis =
    split === 'test'
      ? 'held-out test accuracy, measured at the end on the candidates of the validation front and the delivered students (their better weights by validation accuracy)'
      : 'validation accuracy after fine-tuning where there was one, else search-time: the dataset has no test split';
  return [
    `## Pareto front: ${cost.title} against ${split} accuracy`,
    '',
    `No other candidate is both cheaper and more accurate; accuracy is ${basis}. Specs in pareto/.`,
    '',
    `| architecture | ${cost.title} | ${split} accuracy | spec |`,
    '|---|---|---|---|',
    ...candidates.map((c) => `| ${markdownText(c.event.name)} | ${objective === 'latency' ? ms(c.event.latency) : objective === 'macs' ? macs(c.event.macs) : formatCount(c.event.params)} | ${pct(c.accuracy)} | ${markdownText(frontSpecFile(c.event))} |`),
    '',
  ];
}

function tableErrorLine(events: JournalEvent[]): string[] {
  const error = tableError(events);
  if (!error) return [];
  return [`Per-layer latency table against whole-network measurements: mean error ${pct(error.mean)}, median ${pct(error.median)} over ${error.count} candidates.`, ''];
}

/** Who trained the candidates, as run.json recorded it. */
function trainedBy(manifest: RunManifest): string {
  const v = manifest.versions;
  if (v.evaluatorUsed === 'pytorch') return markdownText(`trained by PyTorch ${v.torch ?? ''} workers`.replace('  ', ' '));
  if (v.evaluatorUsed === 'command' || v.evaluatorUsed === 'slurm') return `trained by the ${v.evaluatorUsed} evaluator`;
  return markdownText(`backend ${v.backendUsed ?? manifest.backend}`);
}
