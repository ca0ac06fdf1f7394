// A BO step's K kernels on worker threads against the same step in one thread: the same kernels
// and proposals to the last bit, cancellable, and no thread or tensor left behind.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { BiLstmJSON, kernelProposals, LearnedKernelJSON, Proposal } from '../../engine/bo';
import { BILSTM_FORMAT } from '../../engine/bo/embedding/bilstm';
import { BoStepInput } from '../../engine/bo/step';
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

interface StepOptions extends Pick<BoStepInput, 'threads' | 'transferred' | 'signal'> {
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
