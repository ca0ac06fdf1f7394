// A BO step's K kernels on worker threads against the same step in one thread: the same kernels
// and proposals to the last bit, cancellable, and no thread or tensor left behind.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { BiLstmJSON, kernelProposals, KnownCost, LearnedKernelJSON, Proposal } from '../../engine/bo';
import { BILSTM_FORMAT } from '../../engine/bo/embedding/bilstm';
import { BoStepInput } from '../../engine/bo/step';
import { budgetFilter, CandidateFilter } from '../../engine/cost/budgets';
import { structuralCosts } from '../../engine/cost/objective';
import { CandidateEvent } from '../../engine/run/journal';
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';
import { encodingWidth } from '../../engine/space/encoding';
import { drawCandidates } from '../../engine/space/draw';
import { buildSearchSpace, SearchSpace } from '../../engine/space/space';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';
import { FIVE_LAYER_DAG } from '../space/fixtures/specs';

const settings: SearchSettings = {
  ...DEFAULT_SETTINGS,
  seed: 5,
  kernels: 4,
  acquisitionSamples: 30,
  kernelFit: { ...DEFAULT_SETTINGS.kernelFit, maxSteps: 5, lstmLayers: 1, hidden: 8 },
};

/** `count` evaluated candidates of `space` with a made-up f. */
function evaluatedIn(space: SearchSpace, count: number): CandidateEvent[] {
  return drawCandidates(space, new Rng(3), count).map((c, i) => ({
    type: 'candidate', step: 1, name: `c${i}`, key: c.key, spec: '', action: c.action, proposedBy: 'random',
    status: 'ok', params: c.params, seconds: 0, accuracy: 0.9, f: Math.sin(i + 1) / 2,
  }));
}

interface StepResult {
  proposals: Proposal[];
  kernels: LearnedKernelJSON[];
}

interface StepOptions extends Pick<BoStepInput, 'threads' | 'transferred' | 'signal' | 'filter' | 'knownCost'> {
  settings?: SearchSettings;
  operators?: SearchSettings['operators'];
  /** How many candidates were evaluated before the step (default 12). */
  evaluatedCount?: number;
}

async function step(teacher: ArchitectureSpec, { settings: stepSettings = settings, operators, evaluatedCount = 12, ...input }: StepOptions): Promise<StepResult> {
  const space = buildSearchSpace(teacher, operators);
  const evaluated = evaluatedIn(space, evaluatedCount);
  const kernels: LearnedKernelJSON[] = [];
  const proposals = await kernelProposals({
    space,
    settings: stepSettings,
    step: 2,
    evaluated,
    seen: new Set(evaluated.map((e) => e.key)),
    encodings: new Map(),
    onKernel: (k, kernel) => (kernels[k] = kernel),
    ...input,
  });
  return { proposals, kernels };
}

/** Threads in this process (Linux), counted where no work is in flight. */
function threadCount(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

test('K kernels fitted on worker threads give the very kernels and proposals of one thread', async () => {
  await initBackend('auto');
  const teacher = zooTeacher('vgg-mini', 'mnist');
  const before = tf.memory().numTensors;
  const sequential = await step(teacher, { threads: 1 });
  assert.equal(tf.memory().numTensors, before, 'the kernel jobs leave no tensors');
  const parallel = await step(teacher, { threads: 2 });
  assert.equal(tf.memory().numTensors, before, 'nor does a step on threads, here');
  assert.equal(parallel.proposals.length, settings.kernels);
  assert.deepEqual(parallel.proposals, sequential.proposals);
  assert.deepEqual(parallel.kernels, sequential.kernels);
});

test('where kernels score the candidates earlier kernels proposed, they propose in turn as in one thread', async () => {
  await initBackend('auto');
  // Seven architectures in all, two evaluated: every kernel scores every one left, so each
  // kernel's optimiser on a thread sees candidates that earlier kernels took, and runs again.
  const space = { operators: { removal: true, shrink: false, skip: false }, evaluatedCount: 2 };
  for (const acquisitionOptimizer of ['random', 'evolution'] as const) {
    const small = { ...settings, kernels: 3, acquisitionOptimizer };
    const sequential = await step(FIVE_LAYER_DAG, { ...space, settings: small, threads: 1 });
    const before = tf.memory().numTensors;
    const parallel = await step(FIVE_LAYER_DAG, { ...space, settings: small, threads: 2 });
    assert.equal(tf.memory().numTensors, before, 'the optimisers run again here leave no tensors');
    assert.equal(new Set(parallel.proposals.map((p) => p.key)).size, 3, `${acquisitionOptimizer}: three different proposals`);
    assert.deepEqual(parallel.proposals, sequential.proposals, acquisitionOptimizer);
  }
});

test('cancelling a step stops its kernel threads and leaves none', { timeout: 120_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('counts threads from /proc');
  await initBackend('auto');
  const teacher = zooTeacher('vgg-mini', 'mnist');
  await step(teacher, { threads: 2, settings: { ...settings, kernels: 2 } });
  const threads = threadCount();
  // Fits that would run for hours unless stopped.
  const endless = { ...settings, kernelFit: { ...settings.kernelFit, maxSteps: 1e9, lstmLayers: 4, hidden: 64 } };
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 3000);
  await assert.rejects(step(teacher, { threads: 2, settings: endless, signal: controller.signal }), { name: 'AbortError' });
  assert.equal(threadCount(), threads);
});

test('a kernel job that fails on a thread fails the step with its reason', async () => {
  await initBackend('auto');
  const weightless: BiLstmJSON = { format: BILSTM_FORMAT, layers: 1, hidden: 8, inputWidth: encodingWidth(), weights: [] };
  await assert.rejects(step(zooTeacher('vgg-mini', 'mnist'), { threads: 2, transferred: [weightless] }), /embedding needs 6 weight arrays/);
});

/** The budgets' filter, counting the specs it is asked about. */
function countingFilter(filter: CandidateFilter): CandidateFilter & { asked: number } {
  const counting = {
    asked: 0,
    prepare: (specs: ArchitectureSpec[], signal?: AbortSignal) => {
      counting.asked += specs.length;
      return filter.prepare(specs, signal);
    },
    admits: (spec: ArchitectureSpec) => filter.admits(spec),
  };
  return counting;
}

test("on threads, budgets and a known cost are answered by the step's thread: the proposals of one thread, within the budgets", async () => {
  await initBackend('auto');
  const teacher = zooTeacher('vgg-mini', 'mnist');
  const teacherCosts = structuralCosts(teacher);
  const budgets = { ...DEFAULT_SETTINGS.budgets, maxParams: Math.round(teacherCosts.params / 3) };
  // A cost known before training: the parameter count, g = C (2 - C) as for a predicted latency.
  const knownCost: KnownCost = {
    teacherAccuracy: 0.95,
    prepare: async () => {},
    factor: (spec) => {
      const c = 1 - structuralCosts(spec).params / teacherCosts.params;
      return c * (2 - c);
    },
  };
  for (const acquisitionOptimizer of ['random', 'evolution'] as const) {
    const stepSettings = { ...settings, acquisitionOptimizer };
    const one = countingFilter(budgetFilter(budgets, 'params', teacherCosts)!);
    const sequential = await step(teacher, { settings: stepSettings, threads: 1, filter: one, knownCost });
    const two = countingFilter(budgetFilter(budgets, 'params', teacherCosts)!);
    const parallel = await step(teacher, { settings: stepSettings, threads: 2, filter: two, knownCost });
    assert.ok(two.asked >= settings.acquisitionSamples, `${acquisitionOptimizer}: the threads asked the filter here`);
    assert.equal(parallel.proposals.length, settings.kernels);
    for (const p of parallel.proposals) assert.ok(structuralCosts(p.spec).params <= budgets.maxParams, `${p.spec.name} within the budget`);
    assert.deepEqual(parallel.proposals, sequential.proposals, acquisitionOptimizer);
    assert.deepEqual(parallel.kernels, sequential.kernels, acquisitionOptimizer);
  }
});

test("a question the step's thread fails to answer fails the step with its reason", async () => {
  await initBackend('auto');
  const filter: CandidateFilter = {
    prepare: async () => {
      throw new Error('the latency command failed');
    },
    admits: () => true,
  };
  await assert.rejects(step(zooTeacher('vgg-mini', 'mnist'), { threads: 2, filter }), /the latency command failed/);
});
