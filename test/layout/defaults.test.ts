// Every search setting's default is defined once, in engine/run/settings.ts DEFAULT_SETTINGS:
// package.json's esnac.* defaults, the extension's offers when compressing and the CLI's help
// hold the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVALUATOR_KINDS } from '../../protocol';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { readSettings, SETTING_KEYS } from '../../extension/settings';
import { ROOT, tsFiles } from './imports';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> } };
};
const declared = manifest.contributes.configuration.properties;

/** The esnac.* settings that are search settings, with the setting they set. */
const SEARCH_SETTINGS: Record<string, unknown> = {
  'esnac.engine.workers': DEFAULT_SETTINGS.workers,
  'esnac.search.steps': DEFAULT_SETTINGS.steps,
  'esnac.search.kernels': DEFAULT_SETTINGS.kernels,
  'esnac.search.epochs': DEFAULT_SETTINGS.epochs,
  'esnac.search.method': DEFAULT_SETTINGS.method,
  'esnac.preprocessing.augment': DEFAULT_SETTINGS.augment,
  // The interpreter is esnac.python: it serves more than the evaluator (the Python extension's choice).
  ...Object.fromEntries(Object.entries(DEFAULT_SETTINGS.evaluator).map(([key, value]) => [key === 'python' ? 'esnac.python' : `esnac.evaluator.${key}`, value])),
};

test("package.json's esnac.* defaults are DEFAULT_SETTINGS'", () => {
  assert.deepEqual(Object.fromEntries(Object.keys(SEARCH_SETTINGS).map((key) => [key, declared[key]?.default])), SEARCH_SETTINGS);
  assert.deepEqual(declared['esnac.evaluator.kind']?.enum, [...EVALUATOR_KINDS]);
});

test("the extension offers DEFAULT_SETTINGS' budget and evaluator when nothing is set", () => {
  const nothingSet = readSettings(() => undefined);
  assert.deepEqual(nothingSet.search, { steps: DEFAULT_SETTINGS.steps, kernels: DEFAULT_SETTINGS.kernels, epochs: DEFAULT_SETTINGS.epochs, method: DEFAULT_SETTINGS.method });
  assert.deepEqual(nothingSet.evaluator, DEFAULT_SETTINGS.evaluator);
  assert.equal(nothingSet.workers, DEFAULT_SETTINGS.workers);
  assert.ok(Object.keys(SEARCH_SETTINGS).every((key) => Object.values(SETTING_KEYS).some((k) => `esnac.${k}` === key)));
});

test('no CLI help writes a default by hand: each is read from a table', () => {
  const handWritten = tsFiles(['engine/cli']).flatMap((file) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (/['"][^'"`]*\(default:? \d/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(handWritten, []);
});
