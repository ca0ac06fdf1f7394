// report.md: the run's top candidates against the teacher, as in the paper's Table 1.
import { describeNormalisation } from '../../protocol';
import { CandidateEvent, DoneEvent, FinetuneEvent, JournalEvent, TeacherEvent, TestEvent, WeightsChoice } from './journal';
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

/** The student a finished run delivers (or the best so far), with the numbers a user judges it by. */
export interface BestStudent {
  name: string;
  /** Its spec file (absolute). */
  spec: string;
  /** Search-time reward and validation accuracy: what the search optimised. */
  f: number;
  accuracy: number;
  params: number;
  teacherParams?: number;
  /** Which weights best.weights holds, and their validation accuracy. */
  weights?: WeightsChoice;
  validationAccuracy?: number;
  /** Held-out test accuracy of the student and of the teacher, on the same examples. */
  test?: { accuracy: number; teacher: number; examples: number; source: string };
}

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
const millions = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`);

function preprocessingLines(manifest: RunManifest): string[] {
  const p = manifest.preprocessing;
  if (!p) return [`Preprocessing: normalisation ${markdownText(manifest.settings.normalise ?? 'dataset')}, augmentation ${manifest.settings.augment ?? 'auto'} (numbers not recorded by this run's version).`];
  return [`Input: ${markdownText(describeNormalisation(p.normalisation))}; training augmentation: ${p.augment}. Exported students expect the same input.`];
}

export function renderReport(manifest: RunManifest, events: JournalEvent[], top = 10): string {
  const teacher = events.find((e): e is TeacherEvent => e.type === 'teacher');
  const ranked = rankCandidates(events);
  const evaluated = events.filter((e) => e.type === 'candidate');
  const failed = evaluated.filter((e) => e.type === 'candidate' && e.status === 'failed').length;
  const s = manifest.settings;
  const best = bestStudent(events, (spec) => spec);
  const tests = new Map(events.filter((e): e is TestEvent => e.type === 'test').map((e) => [e.name, e.accuracy]));
  const testColumn = tests.size > 0;
  const lines = [
    `# Compression of ${markdownText(manifest.teacher.name)} on ${markdownText(manifest.dataset)}`,
    '',
    ...(best ? [`**${headline({ ...best, name: markdownText(best.name) })}.**`, ''] : []),
    ...(best?.test ? [`Test split: ${markdownText(best.test.source)}, read once at the end; every choice before it (search, fine-tuning, best weights) used the validation split.`, ''] : []),
    ...preprocessingLines(manifest),
    '',
    `Method ${s.method}, seed ${s.seed}, ${s.steps} steps x ${s.kernels} candidates, ${s.epochs} distillation epochs per candidate, backend ${manifest.versions.backendUsed ?? manifest.backend}.`,
    `${evaluated.length} candidates evaluated${failed ? ` (${failed} failed)` : ''}.`,
    '',
    `| architecture | validation accuracy (search) | fine-tuned |${testColumn ? ' test accuracy |' : ''} params | ratio | times smaller | f |`,
    `|---|---|---|${testColumn ? '---|' : ''}---|---|---|---|`,
  ];
  const testCell = (name: string) => (testColumn ? ` ${tests.has(name) ? pct(tests.get(name)!) : ''} |` : '');
  if (teacher) lines.push(`| teacher | ${pct(teacher.accuracy)} | |${testCell('teacher')} ${millions(teacher.params)} | 0 | 1.00x | 0 |`);
  for (const { event, finetune } of ranked.slice(0, top)) {
    const ratio = teacher ? 1 - event.params / teacher.params : NaN;
    const smaller = teacher ? teacher.params / event.params : NaN;
    const tuned = finetune?.status === 'ok' ? pct(finetune.accuracy!) : '';
    lines.push(`| ${markdownText(event.name)} | ${pct(event.accuracy!)} | ${tuned} |${testCell(event.name)} ${millions(event.params)} | ${ratio.toFixed(4)} | ${smaller.toFixed(2)}x | ${event.f!.toFixed(4)} |`);
  }
  lines.push('', 'Ratio is C = 1 - params/params(teacher); f = C(2 - C) * accuracy / accuracy(teacher), from search-time validation accuracy.', '');
  return lines.join('\n');
}
