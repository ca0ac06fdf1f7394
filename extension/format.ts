// The words the extension shows for engine state and search progress. Pure, so tested without VS Code.
import { basename } from 'node:path';
import type { BestCandidate, EngineInfoParams, SearchProgressParams } from '../protocol';
import { formatCount } from '../protocol/format';
import { errorMessage } from '../engine/util/errors';

/** "about 12 min left" style; undefined when unknown. */
export function etaText(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  if (seconds < 60) return 'less than a minute left';
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

/** The progress notification's line: step, evaluations, best reward, time left. */
export function progressMessage(p: SearchProgressParams): string {
  const best = p.bestF === undefined ? undefined : `best f ${p.bestF.toFixed(3)}${p.best ? ` (${p.best})` : ''}`;
  const where =
    p.phase === 'finetuning' ? 'fine-tuning the best students' : p.phase === 'done' ? 'finishing' : `step ${p.step}/${p.steps}${p.phase === 'proposing' ? ', proposing' : ''}`;
  return [where, `${p.evaluated}/${p.total} evaluated`, best, etaText(p.etaSeconds)].filter(Boolean).join(' · ');
}

/** The fraction of the search done, for the progress bar (0..1). */
export function progressFraction(p: SearchProgressParams): number {
  return p.total > 0 ? Math.min(1, p.evaluated / p.total) : 0;
}

/** The status bar's short form of a running search. */
export function progressShort(p: SearchProgressParams | undefined): string {
  if (!p) return 'starting';
  return `${p.evaluated}/${p.total}${p.bestF === undefined ? '' : ` · f ${p.bestF.toFixed(3)}`}`;
}

export function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/**
 * The student in one line: its held-out test accuracy next to the teacher's when the run measured
 * them, its size, then the validation accuracy the search optimised.
 */
export function bestSummary(best: BestCandidate): string {
  const size = `${formatCount(best.params)} params${best.teacherParams ? ` (${(best.teacherParams / best.params).toFixed(1)}x smaller)` : ''}`;
  if (!best.test) return `best student ${best.name}: validation accuracy ${percent(best.accuracy)} (no test accuracy), ${size}, f ${best.f.toFixed(3)}`;
  return `best student ${best.name}: test accuracy ${percent(best.test.accuracy)} (teacher ${percent(best.test.teacher)}), ${size}; search validation accuracy ${percent(best.accuracy)}`;
}

/** A run directory's short name for messages: its folder name. */
export function runName(runDir: string): string {
  return basename(runDir);
}

/** Teacher first, as the graph diff's header and the text diff's sides read. */
export function diffTitle(teacher: string, candidate: string): string {
  return `${teacher} → ${candidate}`;
}

/** The status bar tooltip's lines about the engine. */
export function engineDescription(info: EngineInfoParams): string[] {
  const lines = [`esnac ${info.esnacVersion} on Node ${info.nodeVersion}`];
  if (info.backend) {
    lines.push(`backend: ${info.backend.detail} (tfjs ${info.backend.tfjsVersion})`);
    for (const s of info.backend.skipped) lines.push(`${s.name} not used: ${s.reason}`);
  }
  if (info.error) lines.push(`no backend: ${info.error}`);
  return lines;
}

/** An error's first line for a notification; the rest (a stack) belongs in the log. */
export function errorHeadline(err: unknown): string {
  const message = errorMessage(err);
  return message.split('\n')[0];
}
