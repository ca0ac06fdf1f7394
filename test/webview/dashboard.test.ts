// The dashboard's numbers: best-so-far reward, table rows and sorting, the cost/accuracy front, journal reading.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DashboardCandidate } from '../../protocol/webview';
import type { JournalEvent } from '../../engine/run/journal';
import type { RunManifest } from '../../engine/run/run-directory';
import { candidateRows, costFront, rewardSeries, sortRows } from '../../webview/model/dashboard';
import { dashboardRun } from '../../extension/view-models/run';
import { linearTicks, logTicks } from '../../webview/model/scale';

const candidate = (name: string, params: number, accuracy?: number, f?: number): DashboardCandidate => ({
  step: 1,
  name,
  proposedBy: 'random',
  status: f === undefined ? 'failed' : 'ok',
  params,
  accuracy,
  f,
  seconds: 1,
});

test('the best-so-far reward only rises and skips failed candidates', () => {
  const series = rewardSeries([candidate('x', 1), candidate('a', 10, 0.5, 0.3), candidate('b', 10, 0.4, 0.2), candidate('c', 10, 0.9, 0.8)]);
  assert.deepEqual(
    series.map((p) => [p.order, p.f, p.best]),
    [
      [1, undefined, undefined],
      [2, 0.3, 0.3],
      [3, 0.2, 0.3],
      [4, 0.8, 0.8],
    ],
  );
});

const run = {
  runDir: '/runs/r',
  teacher: { name: 't', params: 1000, accuracy: 0.9 },
  dataset: 'mnist',
  method: 'bo',
  objective: 'params' as const,
  total: 4,
  status: 'running' as const,
  candidates: [candidate('a', 500, 0.8, 0.6), candidate('failed', 100), candidate('b', 250, 0.7, 0.7), candidate('c', 500, 0.85, 0.65)],
};

test('rows carry the compression ratio and times smaller against the teacher', () => {
  const rows = candidateRows(run);
  assert.equal(rows[0].ratio, 0.5);
  assert.equal(rows[2].timesSmaller, 4);
});

test('with a latency objective, ratios and the front count measured latency, fine-tuned accuracy where there is one', () => {
  const timed = (name: string, latencyMs: number | undefined, accuracy?: number, finetunedAccuracy?: number): DashboardCandidate => ({
    ...candidate(name, 100, accuracy, accuracy === undefined ? undefined : 0.5),
    ...(latencyMs !== undefined && { latencyMs }),
    ...(finetunedAccuracy !== undefined && { finetunedAccuracy }),
  });
  const latencyRun = {
    ...run,
    objective: 'latency' as const,
    teacher: { ...run.teacher, latencyMs: 8 },
    candidates: [timed('slow', 4, 0.8), timed('fast', 2, 0.7), timed('tuned', 3, 0.6, 0.85), timed('no-latency', undefined)],
  };
  const rows = candidateRows(latencyRun);
  assert.deepEqual(rows.map((r) => [r.cost, r.timesSmaller]), [[4, 2], [2, 4], [3, 8 / 3], [undefined, NaN]]);
  assert.equal(rows[0].ratio, 0.5);
  const { split, points, front } = costFront(rows);
  assert.equal(split, 'validation', 'no test accuracies: validation');
  assert.deepEqual(points.map((p) => p.name), ['slow', 'fast', 'tuned']);
  assert.deepEqual(front.map((p) => p.name), ['fast', 'tuned'], 'slow is beaten by tuned (fine-tuned 85%)');
});

test('a finished run with test accuracies draws its front of test accuracy, over the candidates measured on the test split', () => {
  const tested = (name: string, params: number, accuracy: number, testAccuracy?: number): DashboardCandidate => ({ ...candidate(name, params, accuracy, 0.5), ...(testAccuracy !== undefined && { testAccuracy }) });
  const rows = candidateRows({ ...run, candidates: [tested('small', 100, 0.7, 0.75), tested('mid', 200, 0.8, 0.7), tested('large', 300, 0.9, 0.85), tested('unmeasured', 150, 0.95)] });
  const { split, points, front } = costFront(rows);
  assert.equal(split, 'test');
  assert.deepEqual(points.map((p) => [p.name, p.shown]), [['small', 0.75], ['mid', 0.7], ['large', 0.85]], 'only measured candidates, at their test accuracy');
  assert.deepEqual(front.map((p) => p.name), ['small', 'large'], 'mid is beaten on test accuracy by small, though better on validation');
});

test('sorting is stable, by either direction, with failed candidates last', () => {
  const rows = candidateRows(run);
  const names = (column: Parameters<typeof sortRows>[1], descending: boolean) => sortRows(rows, column, descending).map((r) => r.name);
  assert.deepEqual(names('f', true), ['b', 'c', 'a', 'failed']);
  assert.deepEqual(names('f', false), ['a', 'c', 'b', 'failed']);
  assert.deepEqual(names('params', false), ['failed', 'b', 'a', 'c']);
  assert.deepEqual(names('params', true), ['a', 'c', 'b', 'failed']);
  assert.deepEqual(names('name', false), ['a', 'b', 'c', 'failed']);
});

test('a journal becomes the dashboard record, with fine-tuned accuracy and the best at the end', () => {
  const manifest = {
    teacher: { name: 'vgg-mini-mnist', spec: 'teacher.arch.yaml', source: '/x.arch.yaml' },
    dataset: 'mnist',
    settings: { method: 'bo', objective: 'macs', steps: 2, kernels: 3 },
  } as unknown as RunManifest;
  const base = { key: 'k', spec: 'candidates/x.arch.yaml', action: {}, proposedBy: 'random', seconds: 2 };
  const events: JournalEvent[] = [
    { type: 'teacher', accuracy: 0.95, params: 2000, weights: 'teacher', trained: true, seconds: 9 },
    { type: 'costs', teacher: { params: 2000, macs: 90_000 } },
    { type: 'candidate', step: 1, name: 'a', status: 'ok', params: 500, macs: 30_000, accuracy: 0.9, f: 1.2, ...base },
    { type: 'candidate', step: 1, name: 'b', status: 'failed', params: 700, reason: 'diverged', ...base },
    { type: 'finetune', name: 'a', status: 'ok', accuracy: 0.93, f: 1.3, epochs: 2, seconds: 3 },
    { type: 'done', best: 'a', bestSpec: 'best.arch.yaml', f: 1.3 },
  ];
  const record = dashboardRun('/runs/r', manifest, events, false);
  assert.deepEqual(record.teacher, { name: 'vgg-mini-mnist', params: 2000, macs: 90_000, latencyMs: undefined, accuracy: 0.95 });
  assert.equal(record.objective, 'macs');
  assert.equal(candidateRows(record)[0].timesSmaller, 3);
  assert.equal(record.total, 6);
  assert.equal(record.status, 'finished');
  assert.equal(record.best, 'a');
  assert.deepEqual(
    record.candidates.map((c) => [c.name, c.status, c.finetunedAccuracy, c.reason]),
    [
      ['a', 'ok', 0.93, undefined],
      ['b', 'failed', undefined, 'diverged'],
    ],
  );
  assert.equal(dashboardRun('/runs/r', manifest, events.slice(0, 3), false).status, 'stopped');
  assert.equal(dashboardRun('/runs/r', manifest, events.slice(0, 3), true).status, 'running');
});

test('axis ticks are round numbers covering the range', () => {
  assert.deepEqual(linearTicks(0, 1.8, 5), [0, 0.5, 1, 1.5]);
  assert.deepEqual(linearTicks(1, 24, 6), [5, 10, 15, 20]);
  assert.deepEqual(linearTicks(3, 3, 5), [3]);
  assert.deepEqual(logTicks(500, 90_000), [1000, 10_000]);
  assert.deepEqual(logTicks(500, 9000), [500, 1000, 2000, 5000]);
});
