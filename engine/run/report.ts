// report.md: the run's top candidates against the teacher, as in the paper's Table 1.
import { CandidateEvent, FinetuneEvent, JournalEvent, TeacherEvent } from './journal';
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

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const millions = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`);

export function renderReport(manifest: RunManifest, events: JournalEvent[], top = 10): string {
  const teacher = events.find((e): e is TeacherEvent => e.type === 'teacher');
  const ranked = rankCandidates(events);
  const evaluated = events.filter((e) => e.type === 'candidate');
  const failed = evaluated.filter((e) => e.type === 'candidate' && e.status === 'failed').length;
  const s = manifest.settings;
  const lines = [
    `# Compression of ${markdownText(manifest.teacher.name)} on ${markdownText(manifest.dataset)}`,
    '',
    `Method ${s.method}, seed ${s.seed}, ${s.steps} steps x ${s.kernels} candidates, ${s.epochs} distillation epochs per candidate, backend ${manifest.versions.backendUsed ?? manifest.backend}.`,
    `${evaluated.length} candidates evaluated${failed ? ` (${failed} failed)` : ''}.`,
    '',
    '| architecture | accuracy | fine-tuned | params | ratio | times smaller | f |',
    '|---|---|---|---|---|---|---|',
  ];
  if (teacher) lines.push(`| teacher | ${pct(teacher.accuracy)} | | ${millions(teacher.params)} | 0 | 1.00x | 0 |`);
  for (const { event, finetune } of ranked.slice(0, top)) {
    const ratio = teacher ? 1 - event.params / teacher.params : NaN;
    const smaller = teacher ? teacher.params / event.params : NaN;
    const tuned = finetune?.status === 'ok' ? pct(finetune.accuracy!) : '';
    lines.push(`| ${markdownText(event.name)} | ${pct(event.accuracy!)} | ${tuned} | ${millions(event.params)} | ${ratio.toFixed(4)} | ${smaller.toFixed(2)}x | ${event.f!.toFixed(4)} |`);
  }
  lines.push('', 'Ratio is C = 1 - params/params(teacher); f = C(2 - C) * accuracy / accuracy(teacher), from search-time accuracy.', '');
  return lines.join('\n');
}
