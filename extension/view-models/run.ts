// A run directory's record (run.json and the journal) as the dashboard shows it. Runs in the extension
// host, which reads the run directory; the webview gets only this model.
import type { DashboardCandidate, DashboardRun } from '../../protocol/webview';
import { describeNormalisation } from '../../protocol';
import type { FinetuneEvent, JournalEvent, TestEvent } from '../../engine/run/journal';
import { bestStudent, headline } from '../../engine/run/report';
import type { RunManifest } from '../../engine/run/run-directory';

/** Teacher params are 0 until the journal records the teacher, which comes before any candidate. */
export function dashboardRun(runDir: string, manifest: RunManifest, events: JournalEvent[], running: boolean): DashboardRun {
  const teacher = events.find((e) => e.type === 'teacher');
  const costs = events.find((e) => e.type === 'costs');
  const done = events.find((e) => e.type === 'done');
  const finetuned = new Map(events.filter((e): e is FinetuneEvent => e.type === 'finetune' && e.status === 'ok').map((e) => [e.name, e.accuracy]));
  const tested = new Map(events.filter((e): e is TestEvent => e.type === 'test').map((e) => [e.name, e.accuracy]));
  const candidates = events.flatMap((e): DashboardCandidate[] => {
    if (e.type !== 'candidate') return [];
    const { step, name, proposedBy, status, params, macs, latency, accuracy, f, reason, seconds } = e;
    const tuned = finetuned.get(name);
    const test = tested.get(name);
    return [{ step, name, proposedBy, status, params, macs, latencyMs: latency?.ms, accuracy, f, reason, seconds, ...(tuned !== undefined && { finetunedAccuracy: tuned }), ...(test !== undefined && { testAccuracy: test }) }];
  });
  const best = done && bestStudent(events, (spec) => spec);
  const teacherTest = tested.get('teacher');
  const { preprocessing } = manifest;
  const { settings } = manifest;
  return {
    runDir,
    teacher: {
      name: manifest.teacher.name,
      params: teacher?.params ?? 0,
      ...(costs && { macs: costs.teacher.macs, latencyMs: costs.teacher.latency?.ms }),
      ...(teacher && { accuracy: teacher.accuracy }),
      ...(teacherTest !== undefined && { testAccuracy: teacherTest }),
    },
    dataset: manifest.dataset,
    ...(preprocessing && { preprocessing: `${describeNormalisation(preprocessing.normalisation)}; augmentation ${preprocessing.augment}` }),
    method: settings.method,
    objective: settings.objective,
    total: settings.steps * settings.kernels,
    status: running ? 'running' : done ? 'finished' : 'stopped',
    ...(done && { best: done.best }),
    ...(best && { headline: headline(best) }),
    candidates,
  };
}
