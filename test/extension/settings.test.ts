// The esnac.* settings: typed reading with fallbacks, the engine's environment, the runs folder,
// and agreement with what package.json declares.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_EVALUATOR, EVALUATOR_KINDS } from '../../engine/evaluation/settings';
import { PLACEHOLDERS } from '../../engine/evaluation/template';
import { DEFAULT_ESNAC_SETTINGS, ENGINE_SETTINGS, engineEnvironment, readSettings, runsFolderPath, SETTING_KEYS } from '../../extension/settings';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: { configuration: { properties: Record<string, { default?: unknown; scope?: string; markdownDescription?: string; enum?: string[]; enumDescriptions?: string[] }> } };
};
const declared = manifest.contributes.configuration.properties;

const settingsFrom = (values: Record<string, unknown>) => readSettings((key) => values[key]);

test('nothing set: the defaults', () => {
  assert.deepEqual(settingsFrom({}), DEFAULT_ESNAC_SETTINGS);
});

test('package.json declares every setting, with a scope and the default the code falls back to', () => {
  const declaredDefaults = Object.fromEntries(Object.entries(SETTING_KEYS).map(([, key]) => [key, declared[`esnac.${key}`]?.default]));
  assert.deepEqual(settingsFrom(declaredDefaults), DEFAULT_ESNAC_SETTINGS);
  for (const key of Object.values(SETTING_KEYS)) assert.ok(declared[`esnac.${key}`]?.scope, `esnac.${key} has no scope`);
  for (const key of ENGINE_SETTINGS) assert.ok(declared[key], key);
  assert.deepEqual(Object.keys(declared).sort(), Object.values(SETTING_KEYS).map((k) => `esnac.${k}`).sort());
});

test('values set are read, trimmed; values of the wrong type fall back to the default', () => {
  const settings = settingsFrom({
    'engine.backend': 'wasm',
    'engine.workers': 3,
    'engine.extraEnv': { TF_CPP_MIN_LOG_LEVEL: '2', BAD: 7 },
    'engine.nodePath': ' /opt/node/bin/node ',
    'search.steps': 4,
    'search.kernels': 2.5,
    'search.epochs': 0,
    'search.method': 'random',
    'datasets.cifar10': '/data/cifar-10-batches-bin',
    'runs.folder': '',
  });
  assert.equal(settings.backend, 'wasm');
  assert.equal(settings.workers, 3);
  assert.deepEqual(settings.extraEnv, { TF_CPP_MIN_LOG_LEVEL: '2' });
  assert.equal(settings.nodePath, '/opt/node/bin/node');
  assert.deepEqual(settings.search, { steps: 4, kernels: DEFAULT_ESNAC_SETTINGS.search.kernels, epochs: DEFAULT_ESNAC_SETTINGS.search.epochs, method: 'random' });
  assert.equal(settings.datasets.cifar10, '/data/cifar-10-batches-bin');
  assert.equal(settings.runsFolder, 'esnac-runs');
  assert.equal(settingsFrom({ 'engine.backend': 'gpu', 'engine.extraEnv': ['A=1'] }).backend, 'auto');
  assert.deepEqual(settingsFrom({ 'engine.extraEnv': ['A=1'] }).extraEnv, {});
});

test('the evaluator: the engine default unless set; each field read, a wrong type or value falls back', () => {
  assert.deepEqual(DEFAULT_ESNAC_SETTINGS.evaluator, DEFAULT_EVALUATOR);
  const set = {
    'evaluator.kind': 'slurm',
    'evaluator.command': ' python3 /t/train.py --spec {spec} --out {out} ',
    'evaluator.shell': true,
    'evaluator.jobTemplate': 'cluster/job.sbatch.template',
    'evaluator.timeoutMinutes': 90.5,
    'evaluator.retries': 0,
    'evaluator.pollSeconds': 0.5,
  };
  assert.deepEqual(settingsFrom(set).evaluator, {
    kind: 'slurm',
    python: '',
    autocast: true,
    command: 'python3 /t/train.py --spec {spec} --out {out}',
    shell: true,
    jobTemplate: 'cluster/job.sbatch.template',
    timeoutMinutes: 90.5,
    retries: 0,
    pollSeconds: 0.5,
  });
  const wrong = {
    'evaluator.kind': 'kubernetes',
    'evaluator.command': ['python3', 'train.py'],
    'evaluator.shell': 'true',
    'evaluator.jobTemplate': 7,
    'evaluator.timeoutMinutes': -1,
    'evaluator.retries': 1.5,
    'evaluator.pollSeconds': 0,
  };
  assert.deepEqual(settingsFrom(wrong).evaluator, DEFAULT_EVALUATOR);
  assert.equal(settingsFrom({ 'evaluator.timeoutMinutes': Number.POSITIVE_INFINITY }).evaluator.timeoutMinutes, 0);
  assert.equal(settingsFrom({ 'evaluator.retries': -1 }).evaluator.retries, 1);
});

test('evaluator settings: per machine, the ones naming programs restricted in untrusted workspaces, placeholders the engine knows', () => {
  // The interpreter is esnac.python: the Python extension's own settings sit at the top level too.
  const evaluatorKeys = [...Object.values(SETTING_KEYS).filter((k) => k.startsWith('evaluator.')), SETTING_KEYS.python];
  assert.equal(evaluatorKeys.length, Object.keys(DEFAULT_EVALUATOR).length);
  for (const key of evaluatorKeys) assert.equal(declared[`esnac.${key}`].scope, 'machine-overridable', key);
  const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  for (const key of ['evaluator.command', 'evaluator.shell', 'evaluator.jobTemplate', 'python']) assert.ok(restricted.includes(`esnac.${key}`), key);
  const kind = declared['esnac.evaluator.kind'];
  assert.deepEqual(kind.enum, [...EVALUATOR_KINDS]);
  assert.equal(kind.default, DEFAULT_EVALUATOR.kind);
  assert.equal(kind.enumDescriptions?.length, kind.enum?.length);
  for (const key of ['command', 'jobTemplate']) {
    const named = [...declared[`esnac.evaluator.${key}`].markdownDescription!.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]);
    assert.ok(named.length > 0, key);
    for (const name of named) assert.ok(name in PLACEHOLDERS, `${key}: {${name}}`);
  }
});

test('the engine environment: extra variables, and ESNAC_BACKEND unless the backend is auto', () => {
  assert.deepEqual(engineEnvironment(settingsFrom({ 'engine.extraEnv': { A: '1' } })), { A: '1' });
  assert.deepEqual(engineEnvironment(settingsFrom({ 'engine.backend': 'cpu', 'engine.extraEnv': { ESNAC_BACKEND: 'wasm' } })), { ESNAC_BACKEND: 'cpu' });
});

test('the runs folder: relative to the workspace folder, or absolute as given', () => {
  assert.equal(runsFolderPath(DEFAULT_ESNAC_SETTINGS, '/ws'), join('/ws', 'esnac-runs'));
  assert.equal(runsFolderPath(settingsFrom({ 'runs.folder': 'out/runs' }), '/ws'), join('/ws', 'out/runs'));
  assert.equal(runsFolderPath(settingsFrom({ 'runs.folder': '/big/runs' }), '/ws'), '/big/runs');
});
