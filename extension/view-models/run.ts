// A run directory's record (run.json and the journal) as the dashboard shows it. Runs in the extension
// host, which reads the run directory; the webview gets only this model.
import type { DashboardCandidate, DashboardRun } from '../../protocol/webview';
import type { FinetuneEvent, JournalEvent } from '../../engine/run/journal';
import type { RunManifest } from '../../engine/run/run-directory';

/** Teacher params are 0 until the journal records the teacher, which comes before any candidate. */
export function dashboardRun(runDir: string, manifest: RunManifest, events: JournalEvent[], running: boolean): DashboardRun {
  const teacher = events.find((e) => e.type === 'teacher');
  const done = events.find((e) => e.type === 'done');
  const finetuned = new Map(events.filter((e): e is FinetuneEvent => e.type === 'finetune' && e.status === 'ok').map((e) => [e.name, e.accuracy]));
  const candidates = events.flatMap((e): DashboardCandidate[] => {
    if (e.type !== 'candidate') return [];
    const { step, name, proposedBy, status, params, accuracy, f, reason, seconds } = e;
    const tuned = finetuned.get(name);
    return [{ step, name, proposedBy, status, params, accuracy, f, reason, seconds, ...(tuned !== undefined && { finetunedAccuracy: tuned }) }];
  });
  const { settings } = manifest;
  return {
    runDir,
    teacher: { name: manifest.teacher.name, params: teacher?.params ?? 0, ...(teacher && { accuracy: teacher.accuracy }) },
    dataset: manifest.dataset,
    method: settings.method,
    total: settings.steps * settings.kernels,
    status: running ? 'running' : done ? 'finished' : 'stopped',
    ...(done && { best: done.best }),
    candidates,
  };
}
