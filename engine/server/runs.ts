// The run directories a client can list and inspect: what run.json asked for, what the journal
// says happened, the best student so far, and while one runs its latest progress.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BestCandidate, ListRunsResult, RunStateResult, RunSummary } from '../../protocol';
import { bestStudent } from '../run/report';
import { RunDirectory } from '../run/run-directory';
import { JournalEvent } from '../run/journal';
import { readProgress } from '../run/progress-file';
import { BEST_SPEC } from '../search/finish';
import { errorMessage } from '../util/errors';

/** The run directories directly under each folder (a folder that is itself a run counts too). */
export function listRuns(folders: string[], isRunning: (dir: string) => boolean): ListRunsResult {
  const result: ListRunsResult = { runs: [], unreadable: [] };
  for (const dir of folders.flatMap(runDirectoriesIn)) {
    try {
      result.runs.push(summarize(RunDirectory.open(dir), isRunning).summary);
    } catch (err) {
      result.unreadable.push({ runDir: dir, reason: errorMessage(err) });
    }
  }
  result.runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return result;
}

function runDirectoriesIn(folder: string): string[] {
  if (existsSync(join(folder, 'run.json'))) return [folder];
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(folder, entry.name, 'run.json')))
    .map((entry) => join(folder, entry.name));
}

/** Everything about one run; a UserError when it is not a readable run directory. */
export function runState(runDir: string, isRunning: (dir: string) => boolean): RunStateResult {
  const run = RunDirectory.open(runDir);
  const { summary, journal } = summarize(run, isRunning);
  const { manifest } = run;
  return { ...summary, teacherSpec: run.path(manifest.teacher.spec), settings: manifest.settings, backend: manifest.backend, versions: manifest.versions, journal };
}

function summarize(run: RunDirectory, isRunning: (dir: string) => boolean): { summary: RunSummary; journal: JournalEvent[] } {
  const { manifest } = run;
  const journal = run.journal.read();
  const finished = journal.some((e) => e.type === 'done');
  const best = bestSoFar(run, journal);
  const summary: RunSummary = {
    runDir: run.dir,
    teacher: manifest.teacher.name,
    dataset: manifest.dataset,
    createdAt: manifest.createdAt,
    status: isRunning(run.dir) ? 'running' : finished ? 'finished' : 'stopped',
    evaluated: journal.filter((e) => e.type === 'candidate').length,
    total: manifest.settings.steps * manifest.settings.kernels,
    ...(best ? { best } : {}),
  };
  const progress = summary.status === 'running' ? readProgress(run.dir) : undefined;
  return { summary: progress ? { ...summary, progress } : summary, journal };
}

/** The delivered student of a finished run; before that, the top candidate by search-time reward. */
function bestSoFar(run: RunDirectory, journal: JournalEvent[]): BestCandidate | undefined {
  return bestStudent(journal, (spec, finished) => run.path(finished ? BEST_SPEC : spec));
}
