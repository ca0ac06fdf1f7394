import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { CandidateEvent } from '../../engine/run/journal';
import { RunDirectory, RUN_FORMAT, RunManifest } from '../../engine/run/run-directory';
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';
import { finishRun } from '../../engine/search/finish';
import { runSearchSteps } from '../../engine/search/search';
import { readTransferredKernels } from '../../engine/search/transfer';
import { buildSearchSpace } from '../../engine/space/space';
import { inferShapes } from '../../engine/architecture/shapes';
import { loadSpecFile } from '../../engine/architecture/validate';
import { specToText } from '../../engine/architecture/write';
import { zooTeacher } from '../../engine/zoo';
import { analyticStandInEvaluator } from './fixtures/stand-in-evaluator';

const teacher = zooTeacher('vgg-mini', 'mnist');
const teacherParams = inferShapes(teacher).params;
const TEACHER = { accuracy: 0.98, params: teacherParams };

// Small kernels keep the test quick; the loop's logic is the same at the authors' sizes.
const settings: SearchSettings = {
  ...DEFAULT_SETTINGS,
  seed: 7,
  steps: 3,
  kernels: 3,
  acquisitionSamples: 40,
  finetuneTop: 0,
  kernelFit: { ...DEFAULT_SETTINGS.kernelFit, maxSteps: 4, lstmLayers: 1, hidden: 8 },
};

function newRun(overrides: Partial<SearchSettings> = {}): RunDirectory {
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    createdAt: '2026-01-01T00:00:00Z',
    teacher: { name: teacher.name, spec: 'teacher.arch.yaml', source: 'zoo' },
    dataset: 'analytic',
    settings: { ...settings, ...overrides },
    backend: 'test',
    versions: {},
  };
  return RunDirectory.create(join(mkdtempSync(join(tmpdir(), 'esnac-search-')), 'run'), manifest, specToText(teacher, 'yaml'));
}

async function search(run: RunDirectory, signal?: AbortSignal, onCandidate?: (e: CandidateEvent) => void): Promise<void> {
  const space = buildSearchSpace(teacher, run.manifest.settings.operators);
  const evaluator = analyticStandInEvaluator({ teacherParams, teacherAccuracy: TEACHER.accuracy, concurrency: 2 });
  await runSearchSteps({ run, space, teacher: TEACHER, evaluator, signal, hooks: { candidate: onCandidate } });
}

const outcome = (run: RunDirectory) =>
  run.journal
    .read()
    .filter((e): e is CandidateEvent => e.type === 'candidate')
    .map((e) => `${e.step} ${e.name} ${e.proposedBy} ${e.f!.toFixed(6)}`)
    .sort();

test('the BO loop evaluates K random candidates then K proposals per step, all distinct', async () => {
  await initBackend('auto');
  const before = tf.memory().numTensors;
  const run = newRun();
  await search(run);
  const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.equal(events.length, settings.steps * settings.kernels);
  assert.equal(new Set(events.map((e) => e.key)).size, events.length, 'no architecture evaluated twice');
  assert.ok(events.filter((e) => e.step === 1).every((e) => e.proposedBy === 'random'));
  assert.ok(events.filter((e) => e.step > 1).some((e) => e.proposedBy.startsWith('kernel-')));
  for (const e of events) assert.ok(existsSync(run.path(e.spec)), `${e.spec} written`);
  const kernelFiles = run.journal.read().flatMap((e) => (e.type === 'kernels' ? e.files : []));
  assert.equal(kernelFiles.length, (settings.steps - 1) * settings.kernels);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from kernel fitting');
});

test('a run cancelled mid-step and resumed ends as the uninterrupted run with the same seed', async () => {
  await initBackend('auto');
  const uninterrupted = newRun();
  await search(uninterrupted);

  const interrupted = newRun();
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(
    search(interrupted, controller.signal, () => {
      if (++seen === settings.kernels + 2) controller.abort();
    }),
  );
  const partial = outcome(interrupted).length;
  assert.ok(partial >= settings.kernels + 2 && partial < settings.steps * settings.kernels, `stopped mid-run (${partial} evaluated)`);

  await search(RunDirectory.open(interrupted.dir));
  assert.deepEqual(outcome(interrupted), outcome(uninterrupted));
});

test('finishing writes the best student, the report, and a done event; a second finish changes nothing', async () => {
  await initBackend('auto');
  const run = newRun({ method: 'random' });
  await search(run);
  const done = await finishRun({ run, teacher: TEACHER, loadSpec: loadSpecFile });
  assert.ok(done);
  const best = await loadSpecFile(run.path('best.arch.yaml'));
  assert.equal(best.name, done.best);
  assert.ok(inferShapes(best).params < teacherParams);
  const report = readFileSync(run.path('report.md'), 'utf8');
  assert.match(report, new RegExp(done.best));
  const again = await finishRun({ run, teacher: TEACHER, loadSpec: loadSpecFile });
  assert.deepEqual(again, done);
  assert.equal(run.journal.read().filter((e) => e.type === 'done').length, 1);
});

test('a search can propose with the kernels another run learned, fitting none (kernel transfer)', async () => {
  await initBackend('auto');
  const source = newRun();
  await search(source);
  const transferred = readTransferredKernels(source.dir);
  assert.equal(transferred.length, settings.kernels);
  const run = newRun({ seed: 11 });
  const space = buildSearchSpace(teacher);
  const evaluator = analyticStandInEvaluator({ teacherParams, teacherAccuracy: TEACHER.accuracy, concurrency: 2 });
  await runSearchSteps({ run, space, teacher: TEACHER, evaluator, transferred });
  const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.equal(events.length, settings.steps * settings.kernels);
  assert.ok(events.some((e) => e.proposedBy.startsWith('kernel-')));
  const saved = run.journal.read().flatMap((e) => (e.type === 'kernels' ? e.files : []));
  for (const file of saved) assert.equal(JSON.parse(readFileSync(run.path(file), 'utf8')).fit, undefined, `${file} was not fitted`);
  assert.throws(() => readTransferredKernels(run.path('candidates')), /no saved kernels/);
});

test('the evolutionary acquisition maximiser proposes K new candidates per step', async () => {
  await initBackend('auto');
  const run = newRun({ acquisitionOptimizer: 'evolution' });
  await search(run);
  const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.equal(events.length, settings.steps * settings.kernels);
  assert.equal(new Set(events.map((e) => e.key)).size, events.length);
  assert.ok(events.some((e) => e.proposedBy.startsWith('kernel-')));
});

test('while WebGPU trains, the kernel maths runs on wasm and WebGPU stays the backend', async (t) => {
  try {
    await initBackend('webgpu');
  } catch (err) {
    t.skip(`no WebGPU adapter here: ${(err as Error).message}`);
    return;
  }
  try {
    const run = newRun();
    await search(run);
    assert.equal(tf.getBackend(), 'webgpu');
    const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
    assert.equal(events.length, settings.steps * settings.kernels);
    assert.ok(events.some((e) => e.proposedBy.startsWith('kernel-')));
  } finally {
    await initBackend('auto');
  }
});
