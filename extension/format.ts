// The words the extension shows for engine state and search progress. Pure, so tested without VS Code.
import { basename } from 'node:path';
import type { BestCandidate, EngineInfoParams, RunProgressSnapshot, RunSummary } from '../protocol';
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

/** Where the run is, in words: the phase and its own counter. */
function phaseText(p: RunProgressSnapshot): string {
  const t = p.training;
  const epochs = t ? `epoch ${t.epoch}/${t.epochs}${t.accuracy === undefined ? '' : `, validation ${percent(t.accuracy)}`}${t.imagesPerSecond === undefined ? '' : `, ${Math.round(t.imagesPerSecond).toLocaleString('en-US')} img/s`}` : '';
  switch (p.phase) {
    case 'teacher':
      return `training the teacher${t ? `: ${epochs}` : ''}`;
    case 'proposing':
      return `step ${p.step}/${p.steps}: ${p.step <= 1 ? 'drawing random candidates' : 'fitting the kernels'}`;
    case 'evaluating':
      return `step ${p.step}/${p.steps}: ${p.evaluated}/${p.total} candidates evaluated`;
    case 'finetuning':
      return `fine-tuning${t ? ` ${t.name}${t.students ? ` (${t.student}/${t.students})` : ''}: ${epochs}` : ' the best students'}`;
    case 'testing':
      return 'measuring on the held-out test split';
    case 'done':
      return 'finishing';
  }
}

/** A duration in round words: "40 s", "12 min", "3.1 h". */
export function durationText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The progress notification's line: share done, phase, best reward, time left. */
export function progressMessage(p: RunProgressSnapshot): string {
  const best = p.bestF === undefined ? undefined : `best f ${p.bestF.toFixed(3)}${p.best ? ` (${p.best})` : ''}`;
  return [`${Math.floor(100 * progressFraction(p))}%`, phaseText(p), best, etaText(p.etaSeconds)].filter(Boolean).join(' · ');
}

/** The share of the whole run done, for the progress bar (0..1). */
export function progressFraction(p: RunProgressSnapshot): number {
  return Number.isFinite(p.fraction) ? Math.min(1, Math.max(0, p.fraction)) : 0;
}

/** The status bar's short form of a running search. */
export function progressShort(p: RunProgressSnapshot | undefined): string {
  if (!p) return 'starting';
  const pct = `${Math.floor(100 * progressFraction(p))}%`;
  const t = p.training;
  switch (p.phase) {
    case 'teacher':
      return `${pct} · teacher ${t ? `${t.epoch}/${t.epochs}` : ''}`.trim();
    case 'finetuning':
      return `${pct} · fine-tune ${t ? `${t.epoch}/${t.epochs}` : ''}`.trim();
    case 'testing':
      return `${pct} · testing`;
    default:
      return `${pct} · ${p.evaluated}/${p.total}${p.bestF === undefined ? '' : ` · f ${p.bestF.toFixed(3)}`}`;
  }
}

/** The status item's longer line (tooltip, screen readers): phase, best and time left. */
export function progressLong(p: RunProgressSnapshot | undefined): string {
  if (!p) return 'starting';
  const best = p.bestF === undefined ? undefined : `best f ${p.bestF.toFixed(3)}${p.best ? ` (${p.best})` : ''}`;
  return [`${Math.floor(100 * progressFraction(p))}% done`, phaseText(p), best, etaText(p.etaSeconds)].filter(Boolean).join(', ');
}

/**
 * A run's words in the Runs view: live progress for a search of this window (`own`) and for a run
 * another process holds (the progress it keeps in the run folder), else its state and counts.
 * `stopping`: another process's run asked to stop.
 */
export function runItemText(run: RunSummary, own: { progress?: RunProgressSnapshot; stopping: boolean } | undefined, stopping = false): { description: string; tooltip: string } {
  const counts = `${run.evaluated}/${run.total} evaluated`;
  const live = own !== undefined || run.progress !== undefined;
  const progress = own ? own.progress : run.progress;
  const description = (own ? own.stopping : stopping) ? 'stopping' : live ? progressShort(progress) : `${run.status} · ${counts}`;
  const where = own ? ' in this window' : run.status === 'running' ? ' in another process' : '';
  const tooltip = [
    `${run.teacher} on ${run.dataset}, started ${new Date(run.createdAt).toLocaleString()}`,
    `${run.status}${where}: ${live ? progressLong(progress) : counts}`,
    ...(run.best ? [bestSummary(run.best)] : []),
    run.runDir,
  ].join('\n');
  return { description, tooltip };
}

/** The item's words for a screen reader: its text without icon names, then the tooltip's lines. */
export function accessibleLabel(text: string, lines: string[]): string {
  const words = text.replace(/\$\([\w~-]+\)\s*/g, '').trim();
  return [words, ...lines].join('. ');
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
