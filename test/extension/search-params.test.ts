// "Compress architecture": answers -> esnac/startSearch params, what is remembered, run directories.
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { parseDatasetName } from '../../engine/data';
import { defaultRunDirectory } from '../../engine/run/run-directory';
import type { SpeedResult } from '../../protocol';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import {
  budgetSeconds,
  CompressAnswers,
  compressRequest,
  datasetArgument,
  evaluatorNote,
  NOTHING_REMEMBERED,
  newRunDirectory,
  parseCount,
  PRESETS,
  remember,
  requestedSearchParams,
  specBaseName,
  specIdentity,
  startSearchParams,
} from '../../extension/search-params';
import { DEFAULT_ESNAC_SETTINGS, readSettings } from '../../extension/settings';

const budget: CompressAnswers['budget'] = { steps: 3, kernels: 2, epochs: 1, method: 'random' };

test('dataset arguments are names the engine parses back to the same choice', () => {
  assert.deepEqual(parseDatasetName(datasetArgument({ kind: 'mnist' })), { kind: 'mnist' });
  assert.deepEqual(parseDatasetName(datasetArgument({ kind: 'cifar10', dir: '/data/c:10' })), { kind: 'cifar10', dir: '/data/c:10' });
  assert.deepEqual(parseDatasetName(datasetArgument({ kind: 'fashion-mnist', dir: 'C:\\data\\fm' })), { kind: 'fashion-mnist', dir: 'C:\\data\\fm' });
});

test('start params: the answers, the run directory, and only the settings that differ from the engine default', () => {
  const params = startSearchParams({ teacher: '/ws/t.arch.yaml', answers: { dataset: { kind: 'mnist' }, budget }, settings: DEFAULT_ESNAC_SETTINGS, runDir: '/ws/esnac-runs/t-1', workspaceRoot: '/ws' });
  assert.deepEqual(params, { teacher: '/ws/t.arch.yaml', dataset: 'mnist', runDir: '/ws/esnac-runs/t-1', workspaceRoot: '/ws', settings: budget });

  const settings = { ...DEFAULT_ESNAC_SETTINGS, backend: 'wasm' as const, workers: 2 };
  const answers: CompressAnswers = { dataset: { kind: 'cifar100', dir: '/d' }, teacherWeights: '/w/teacher.weights', budget };
  const full = startSearchParams({ teacher: '/ws/t.arch.yaml', answers, settings, runDir: '/r', workspaceRoot: '/ws' });
  assert.equal(full.dataset, 'cifar100:/d');
  assert.equal(full.teacherWeights, '/w/teacher.weights');
  assert.equal(full.backend, 'wasm');
  assert.deepEqual(full.settings, { ...budget, workers: 2 });
});

test('start params: an evaluator other than the engine default (auto) is sent whole', () => {
  const start = (values: Record<string, unknown>) =>
    startSearchParams({
      teacher: '/ws/t.arch.yaml',
      answers: { dataset: { kind: 'mnist' }, budget },
      settings: readSettings((key) => values[key]),
      runDir: '/ws/esnac-runs/t-1',
      workspaceRoot: '/ws',
    }).settings;
  assert.equal(start({})?.evaluator, undefined);
  assert.deepEqual(start({ 'evaluator.kind': 'local', 'evaluator.retries': 3 })?.evaluator, { ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'local', retries: 3 });
  assert.deepEqual(start({ python: '/opt/py/bin/python3', 'evaluator.autocast': false })?.evaluator, { ...DEFAULT_ESNAC_SETTINGS.evaluator, python: '/opt/py/bin/python3', autocast: false });

  const command = { 'evaluator.kind': 'command', 'evaluator.command': 'python3 /t.py --spec {spec} --out {out}', 'evaluator.timeoutMinutes': 30 };
  assert.deepEqual(start(command)?.evaluator, { ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'command', command: 'python3 /t.py --spec {spec} --out {out}', timeoutMinutes: 30 });

  const slurm = { 'evaluator.kind': 'slurm', 'evaluator.command': 'python3 /t.py', 'evaluator.retries': 2, 'evaluator.pollSeconds': 30 };
  assert.deepEqual(start(slurm)?.evaluator, { ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'slurm', command: 'python3 /t.py', retries: 2, pollSeconds: 30 });
});

test('start params: a relative job template is resolved against the workspace folder; absolute and empty stay', () => {
  const jobTemplate = (path: string) =>
    startSearchParams({
      teacher: '/ws/t.arch.yaml',
      answers: { dataset: { kind: 'mnist' }, budget },
      settings: { ...DEFAULT_ESNAC_SETTINGS, evaluator: { ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'slurm', command: 'train {spec}', jobTemplate: path } },
      runDir: '/ws/esnac-runs/t-1',
      workspaceRoot: '/ws',
    }).settings?.evaluator?.jobTemplate;
  assert.equal(jobTemplate('cluster/job.sbatch.template'), join('/ws', 'cluster', 'job.sbatch.template'));
  assert.equal(jobTemplate('/shared/job.sbatch.template'), '/shared/job.sbatch.template');
  assert.equal(jobTemplate(''), '');
});

test('the evaluator note in the questions\' title: none for the built-in workers', () => {
  assert.equal(evaluatorNote(DEFAULT_ESNAC_SETTINGS.evaluator), undefined);
  assert.match(evaluatorNote({ ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'command' })!, /command/);
  assert.match(evaluatorNote({ ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'slurm' })!, /Slurm/);
});

test('remembered answers: dataset kind, folders per kind, weights per teacher (null: train first), budget', () => {
  const first = remember(NOTHING_REMEMBERED, '/ws/a.arch.yaml', { dataset: { kind: 'cifar10', dir: '/c10' }, teacherWeights: '/w', budget });
  const second = remember(first, '/ws/b.arch.yaml', { dataset: { kind: 'mnist' }, budget: { ...budget, steps: 9 } });
  assert.deepEqual(second, {
    dataset: 'mnist',
    folders: { cifar10: '/c10' },
    teacherWeights: { '/ws/a.arch.yaml': '/w', '/ws/b.arch.yaml': null },
    budget: { ...budget, steps: 9 },
  });
});

test('counts: whole numbers from 1', () => {
  assert.equal(parseCount(' 12 '), 12);
  for (const bad of ['0', '-1', '1.5', '', 'ten', '1e3']) assert.equal(typeof parseCount(bad), 'string', bad);
});

test('spec identity from YAML or JSON text; broken text yields nothing', () => {
  assert.deepEqual(specIdentity('name: s1\ncandidate:\n  teacher: t\n  teacherPath: ../t.arch.yaml\n  action: {}\n'), { name: 's1', teacher: 't', teacherPath: '../t.arch.yaml' });
  assert.deepEqual(specIdentity('{"name": "vgg", "layers": []}'), { name: 'vgg', teacher: undefined, teacherPath: undefined });
  assert.deepEqual(specIdentity('name: [unclosed'), {});
  assert.deepEqual(specIdentity('- a list'), { name: undefined, teacher: undefined, teacherPath: undefined });
});

test('file names', () => {
  assert.equal(specBaseName('/x/resnet.arch.YAML'), 'resnet');
});

test('a new run directory sits in the runs folder, named as the engine names its own', () => {
  const now = new Date('2025-03-04T05:06:07Z');
  const dir = newRunDirectory('/ws/custom-runs', 'resnet-mini', now);
  assert.equal(dir, join('/ws/custom-runs', basename(defaultRunDirectory('/ws', 'resnet-mini', now))));
  assert.match(basename(dir), /^resnet-mini-20250304-050607$/);
});

test("a request passed to the command skips the questions; the explorer's selection is not a request", () => {
  assert.equal(compressRequest(undefined), undefined);
  assert.equal(compressRequest([{ fsPath: '/w/a.arch.yaml' }]), undefined, "the explorer passes the selected files");
  assert.equal(compressRequest({ settings: { steps: 1 } }), undefined, 'no dataset, no request');
  assert.deepEqual(compressRequest({ dataset: 'mnist', settings: { steps: 2 }, teacherWeights: 7 }), { dataset: 'mnist', settings: { steps: 2 } });

  const settings = { ...DEFAULT_ESNAC_SETTINGS, workers: 2 };
  const params = requestedSearchParams({
    teacher: '/w/t.arch.yaml',
    given: { dataset: 'cifar10:/data/c', teacherWeights: '/w/t.weights', settings: { steps: 2, kernels: 2, limitTrain: 256 } },
    settings,
    runDir: '/w/esnac-runs/t-1',
    workspaceRoot: '/w',
  });
  assert.equal(params.dataset, 'cifar10:/data/c');
  assert.equal(params.teacherWeights, '/w/t.weights');
  assert.equal(params.runDir, '/w/esnac-runs/t-1');
  assert.deepEqual(params.settings, { ...DEFAULT_ESNAC_SETTINGS.search, workers: 2, steps: 2, kernels: 2, limitTrain: 256 });
});

const SPEED: SpeedResult = {
  imagesPerSecond: 100,
  validationImagesPerSecond: 1000,
  candidate: { imagesPerSecond: 200, validationImagesPerSecond: 2000, overheadSeconds: 1, sampled: 2 },
  kernelFit: { secondsPerStep: 0.01, secondsPerArchitectureStep: 0.001, secondsPerArchitectureScored: 0.0001, threads: 2 },
  trainExamples: 1000,
  validationExamples: 100,
  trainer: 'tfjs wasm',
  cores: 2,
};

test('presets: smallest first, the last the paper budget of DEFAULT_SETTINGS, each timed from the measured speed', () => {
  assert.deepEqual(PRESETS.map((p) => p.label), ['Quick look', 'Standard', `Paper: ${DEFAULT_SETTINGS.steps} steps x ${DEFAULT_SETTINGS.kernels}, ${DEFAULT_SETTINGS.epochs} epochs`]);
  const times = PRESETS.map((p) => budgetSeconds(p.budget, SPEED, true, 0));
  assert.ok(times[0] < times[1] && times[1] < times[2], times.join(' < '));
  // Quick look on 1,000 training and 100 validation examples: a teacher epoch 1,000 / 100 + 100 / 1,000 s, a candidate's
  // 1,000 / 200 + 100 / 2,000 s plus 1 s outside it; teacher 2 epochs, 8 candidates x 1 epoch on 2 cores, 1 fine-tuning
  // epoch (a candidate's); step 2 fits 4 kernels, 2 at a time, each maxSteps steps on 1 + 0.5 x 4 architectures, then scores the samples.
  const teacherEpoch = 10 + 0.1;
  const candidateEpoch = 5 + 0.05;
  const fit = 2 * (DEFAULT_SETTINGS.kernelFit.maxSteps * 0.01 + DEFAULT_SETTINGS.acquisitionSamples * 0.0001) + (2 / 4) * DEFAULT_SETTINGS.kernelFit.maxSteps * 0.001 * 4 * (1 + 0.5 * 4);
  assert.ok(Math.abs(times[0] - (2 * teacherEpoch + (8 * (1 + candidateEpoch)) / 2 + candidateEpoch + fit)) < 1e-9, String(times[0]));
  assert.ok(Math.abs(budgetSeconds(PRESETS[0].budget, SPEED, false, 4) - ((8 * (1 + candidateEpoch)) / 4 + candidateEpoch + fit)) < 1e-9, 'given weights: no teacher epochs; 4 workers');
});

test('a budget with BO steps costs more than the same without kernel fits, by more per step as the evaluations grow', () => {
  const budget = { ...PRESETS[1].budget, steps: 8 };
  const bo = budgetSeconds(budget, SPEED, false, 0);
  const random = budgetSeconds({ ...budget, method: 'random' }, SPEED, false, 0);
  assert.ok(bo > random, `${bo} > ${random}`);
  const fits = (steps: number) => budgetSeconds({ ...budget, steps }, SPEED, false, 0) - budgetSeconds({ ...budget, steps, method: 'random' }, SPEED, false, 0);
  assert.ok(fits(8) - fits(7) > fits(3) - fits(2), 'a later step fits on more architectures');
});

test('candidates are priced from their own measurement, not as teacher epochs', () => {
  const budget = { ...PRESETS[0].budget, finetuneEpochs: 0 };
  const faster = budgetSeconds(budget, { ...SPEED, candidate: { ...SPEED.candidate, imagesPerSecond: 400 } }, false, 0);
  const teacherSlower = budgetSeconds(budget, { ...SPEED, imagesPerSecond: 10 }, false, 0);
  const base = budgetSeconds(budget, SPEED, false, 0);
  assert.ok(faster < base, `${faster} < ${base}`);
  assert.equal(teacherSlower, base, 'with given teacher weights the teacher rate prices nothing');
  const overhead = budgetSeconds(budget, { ...SPEED, candidate: { ...SPEED.candidate, overheadSeconds: 3 } }, false, 0);
  assert.ok(Math.abs(overhead - base - (8 * 2) / 2) < 1e-9, '2 s more outside each of 8 candidates, on 2 cores');
});

test('start params: the Advanced path sends its trainer as the evaluator kind, and its epochs, limits and objective', () => {
  const advanced: CompressAnswers = { dataset: { kind: 'mnist' }, budget: { ...budget, teacherEpochs: 4, finetuneEpochs: 2, limitTrain: 500, objective: 'macs' }, trainer: 'local' };
  const { settings } = startSearchParams({ teacher: '/ws/t.arch.yaml', answers: advanced, settings: DEFAULT_ESNAC_SETTINGS, runDir: '/r', workspaceRoot: '/ws' });
  assert.deepEqual(settings, { ...advanced.budget, evaluator: { ...DEFAULT_ESNAC_SETTINGS.evaluator, kind: 'local' } });
});

test('counts with a floor: 0 allowed where it means none or all', () => {
  assert.equal(parseCount('0', 0), 0);
  assert.equal(parseCount('0'), 'a whole number, at least 1');
});
