import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { CandidateEvent } from '../../engine/run/journal';
import { RunDirectory, RUN_FORMAT, RunManifest } from '../../engine/run/run-directory';
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';
import { budgetViolation } from '../../engine/cost/budgets';
import { structuralCosts } from '../../engine/cost/objective';
import { openLatency } from '../../engine/latency';
import { CommandMeter } from '../../engine/latency/command';
import { OnnxruntimeMeter } from '../../engine/latency/onnxruntime';
import { LayerTable, memoryStore, NetworkLatencies } from '../../engine/latency/table';
import { timingModel } from '../../engine/latency/timing-model';
import { encodeOnnx } from '../../engine/interop/onnx-codec';
import { latencyUnits } from '../../engine/latency/units';
import { LatencySource } from '../../engine/cost/budgets';
import { runCosts } from '../../engine/search/costs';
import { reward } from '../../engine/space/reward';
import { runFront } from '../../engine/run/report';
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
const TEACHER = { accuracy: 0.98, params: teacherParams, weights: 'teacher.weights' };

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

async function search(run: RunDirectory, signal?: AbortSignal, onCandidate?: (e: CandidateEvent) => void, latency?: LatencySource): Promise<void> {
  const space = buildSearchSpace(teacher, run.manifest.settings.operators);
  const evaluator = analyticStandInEvaluator({ teacherParams, teacherAccuracy: TEACHER.accuracy, concurrency: 2 });
  const costs = await runCosts(run.manifest.settings, teacher, latency);
  await runSearchSteps({ run, space, teacher: TEACHER, costs, evaluator, signal, hooks: { candidate: onCandidate } });
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
  const done = await finishRun({ run, teacher: TEACHER, costs: await runCosts(run.manifest.settings, teacher), loadSpec: loadSpecFile, test: async () => undefined });
  assert.ok(done);
  const best = await loadSpecFile(run.path('best.arch.yaml'));
  assert.equal(best.name, done.best);
  assert.ok(inferShapes(best).params < teacherParams);
  const report = readFileSync(run.path('report.md'), 'utf8');
  assert.match(report, new RegExp(done.best));
  assert.match(report, /Objective: params \(C = 1 - params\/params\(teacher\)\)/);
  const { split, candidates: front } = runFront(run.journal.read(), 'params');
  assert.equal(split, 'validation', 'no test split: the front is drawn against validation accuracy');
  assert.ok(front.length > 0);
  assert.match(report, /## Pareto front: params against validation accuracy/);
  assert.match(report, /the dataset has no test split/);
  for (const { event } of front) {
    assert.match(report, new RegExp(`\\| ${event.name} \\| .* \\| pareto/${event.name}.arch.yaml \\|`));
    assert.equal(readFileSync(run.path('pareto', `${event.name}.arch.yaml`), 'utf8'), readFileSync(run.path(event.spec), 'utf8'));
  }
  assert.deepEqual(readdirSync(run.path('pareto')).sort(), front.map((c) => `${c.event.name}.arch.yaml`).sort());
  const again = await finishRun({ run, teacher: TEACHER, costs: await runCosts(run.manifest.settings, teacher), loadSpec: loadSpecFile, test: async () => undefined });
  assert.deepEqual(again, done);
  assert.equal(run.journal.read().filter((e) => e.type === 'done').length, 1);
});

test('a search can propose with the kernels another run learned, fitting none (kernel transfer)', async () => {
  await initBackend('auto');
  const source = newRun();
  await search(source);
  const transferred = readTransferredKernels(source.dir).map((k) => k.embedding);
  assert.equal(transferred.length, settings.kernels);
  const run = newRun({ seed: 11 });
  const space = buildSearchSpace(teacher);
  const evaluator = analyticStandInEvaluator({ teacherParams, teacherAccuracy: TEACHER.accuracy, concurrency: 2 });
  await runSearchSteps({ run, space, teacher: TEACHER, costs: await runCosts(run.manifest.settings, teacher), evaluator, transferred });
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

test('with an objective and budgets, f counts that cost and no candidate of any step breaks a budget', async () => {
  await initBackend('auto');
  const teacherCosts = structuralCosts(teacher);
  const budgets = { ...DEFAULT_SETTINGS.budgets, maxParams: Math.round(teacherParams / 3), minRatio: 2 };
  for (const acquisitionOptimizer of ['random', 'evolution'] as const) {
    const run = newRun({ objective: 'macs', budgets, acquisitionOptimizer });
    await search(run);
    const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
    assert.equal(events.length, settings.steps * settings.kernels);
    assert.ok(events.some((e) => e.proposedBy.startsWith('kernel-')));
    for (const e of events) {
      assert.equal(budgetViolation({ params: e.params, macs: e.macs! }, teacherCosts, budgets, 'macs'), undefined, `${acquisitionOptimizer}: ${e.name}`);
      assert.equal(e.macs, structuralCosts(await loadSpecFile(run.path(e.spec))).macs);
      assert.equal(e.f, reward({ cost: e.macs!, accuracy: e.accuracy! }, { cost: teacherCosts.macs, accuracy: TEACHER.accuracy }));
    }
  }
});

const TIMING = { ...DEFAULT_SETTINGS.latency, batchSize: 4, warmup: 3, repeats: 15 };

test('a latency budget: the per-layer prediction filters every proposal, the measurement decides', async () => {
  await initBackend('auto');
  const probe = await openLatency(TIMING);
  const teacherLatency = await probe.measure(teacher, 'teacher');
  const budgets = { ...DEFAULT_SETTINGS.budgets, maxLatencyMs: teacherLatency.ms / 2 };
  const run = newRun({ objective: 'latency', budgets, latency: TIMING });
  await search(run, undefined, undefined, await openLatency(TIMING, run.dir));
  const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.equal(events.length, settings.steps * settings.kernels);
  for (const e of events) {
    assert.ok(e.latency && e.predictedLatency, e.name);
    assert.ok(e.predictedLatency.ms <= budgets.maxLatencyMs, `${e.name}: predicted ${e.predictedLatency.ms} ms`);
    if (e.latency.ms > budgets.maxLatencyMs) assert.match(e.reason!, /latency .* ms is over the budget/);
    else assert.equal(e.f, reward({ cost: e.latency.ms, accuracy: e.accuracy! }, { cost: JSON.parse(readFileSync(run.path('latency', 'networks.jsonl'), 'utf8').split('\n')[0]).ms, accuracy: TEACHER.accuracy }));
  }
  assert.ok(events.some((e) => e.proposedBy.startsWith('kernel-')));
});

test('with the latency objective, the kernels score candidates never run by their predicted latency', async () => {
  await initBackend('auto');
  const run = newRun({ objective: 'latency', latency: TIMING, steps: 2, kernels: 2 });
  await search(run, undefined, undefined, await openLatency(TIMING, run.dir));
  const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.ok(events.some((e) => e.proposedBy.startsWith('kernel-')));
  // The table holds the units of the acquisition's samples, far more than the evaluated candidates have.
  const measuredUnits = new Set<string>([JSON.stringify(['overhead'])]);
  for (const spec of [teacher, ...(await Promise.all(events.map((e) => loadSpecFile(run.path(e.spec)))))]) for (const u of latencyUnits(spec)) measuredUnits.add(u.key);
  const tableUnits = readFileSync(run.path('latency', 'layers.jsonl'), 'utf8').trim().split('\n').length;
  assert.ok(tableUnits > measuredUnits.size, `${tableUnits} table entries, ${measuredUnits.size} units in the teacher and the evaluated candidates`);
});

test('a latency command that fails or prints garbage fails the candidate with its reason', async () => {
  await initBackend('auto');
  const fakeDevice = join(__dirname, '..', 'cost', 'fixtures', 'fake-device.cjs');
  // The teacher is the largest model: it gets a latency, every smaller candidate `mode`.
  const teacherBytes = encodeOnnx(await timingModel(teacher)).length;
  for (const [mode, reason] of [['fail', /latency command failed \(exit code 3\): adb: device offline/], ['garbage', /printed 'latency: fast'/]] as const) {
    const run = newRun({ objective: 'latency', steps: 1 });
    const latency: LatencySource = {
      measure: (spec, key, signal) => new NetworkLatencies(new CommandMeter(`${process.execPath} ${fakeDevice} ${mode} {onnx} ${teacherBytes}`), memoryStore()).measure(spec, key, signal),
      predictor: new LayerTable(new OnnxruntimeMeter(TIMING), memoryStore()),
    };
    await search(run, undefined, undefined, latency);
    const events = run.journal.read().filter((e): e is CandidateEvent => e.type === 'candidate');
    assert.equal(events.length, settings.kernels);
    for (const e of events) {
      assert.equal(e.status, 'failed', e.name);
      assert.match(e.reason!, reason);
    }
  }
});
