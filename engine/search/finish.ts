// After the search steps: the top candidates are trained further with cross-entropy (from their
// search weights), then the best student is written next to its weights, with the report.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { EvaluationResult } from '../evaluation/types';
import { DoneEvent, FinetuneEvent } from '../run/journal';
import { rankCandidates, renderReport } from '../run/report';
import { RunDirectory, TEACHER_SPEC } from '../run/run-directory';
import { reward } from '../space/reward';
import { ArchitectureSpec } from '../architecture/types';
import { specToText } from '../architecture/write';
import { writeFolderAtomic } from '../util/atomic-write';
import { fileStem } from '../util/file-name';
import { SearchHooks } from './search';

export interface FinetuneRequest {
  name: string;
  spec: ArchitectureSpec;
  /** The candidate's search weights (absolute folder), when it kept them. */
  weights?: string;
  outDir: string;
  epochs: number;
}

export type Finetuner = (request: FinetuneRequest, signal?: AbortSignal) => Promise<EvaluationResult>;

export interface FinishContext {
  run: RunDirectory;
  teacher: { accuracy: number; params: number };
  /** Absent: no fine-tuning, whatever the settings say (e.g. an external evaluator). */
  finetune?: Finetuner;
  loadSpec: (path: string) => Promise<ArchitectureSpec>;
  hooks?: SearchHooks;
  signal?: AbortSignal;
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
    for (const { event, finetune } of ranked.slice(0, settings.finetuneTop)) {
      if (finetune) continue;
      ctx.signal?.throwIfAborted();
      ctx.hooks?.log?.(`fine-tuning ${event.name} for ${settings.finetuneEpochs} epochs`);
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
      );
      ctx.signal?.throwIfAborted();
      const tuned: FinetuneEvent =
        result.status === 'ok' && Number.isFinite(result.accuracy)
          ? { type: 'finetune', name: event.name, status: 'ok', epochs: settings.finetuneEpochs, accuracy: result.accuracy, f: reward({ params: event.params, accuracy: result.accuracy }, ctx.teacher), weights: outDir, seconds: result.seconds }
          : { type: 'finetune', name: event.name, status: 'failed', epochs: settings.finetuneEpochs, reason: result.status === 'ok' ? `accuracy ${result.accuracy}` : result.reason, seconds: result.seconds };
      run.journal.append(tuned);
    }
  }
  const events = run.journal.read();
  const [best] = rankCandidates(events);
  const bestSpec = await ctx.loadSpec(run.path(best.event.spec));
  // best.arch.yaml sits beside teacher.arch.yaml, not in candidates/: its teacher path changes.
  writeOnce(run, BEST_SPEC, specToText({ ...bestSpec, candidate: { ...bestSpec.candidate!, teacherPath: TEACHER_SPEC } }, 'yaml'));
  const weights = best.finetune?.status === 'ok' ? best.finetune.weights : best.event.weights;
  if (weights && !existsSync(run.path(BEST_WEIGHTS))) {
    if (existsSync(run.path(weights))) writeFolderAtomic(run.path(BEST_WEIGHTS), (temporary) => cpSync(run.path(weights), temporary, { recursive: true }));
    else ctx.hooks?.log?.(`warning: ${run.path(weights)} is gone, so the run has no ${BEST_WEIGHTS}; train ${BEST_SPEC} again to get its weights`);
  }
  if (!existsSync(run.path(REPORT))) run.writeNew(REPORT, renderReport(run.manifest, events));
  const done: DoneEvent = { type: 'done', best: best.event.name, bestSpec: BEST_SPEC, f: best.event.f! };
  if (!events.some((e) => e.type === 'done')) run.journal.append(done);
  return done;
}

/** Writes a run file; one left by an interrupted attempt is kept if identical. */
function writeOnce(run: RunDirectory, file: string, text: string): void {
  if (existsSync(run.path(file)) && readFileSync(run.path(file), 'utf8') === text) return;
  run.writeNew(file, text);
}
