import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_LAYERS, Import, importsOf, layerCycle, protocolAloneDiagnostics, repositoryImports, ROOT, violation, webviewReach } from './imports';

const imports = repositoryImports();

test('no import runs back up a layer', () => {
  const wrong = imports.flatMap((i) => {
    const why = violation(i);
    return why ? [`${i.from} imports ${i.to}: ${why}`] : [];
  });
  assert.deepEqual(wrong, []);
});

test('the webview bundle reaches no Node module and no vscode, through any chain of files', () => {
  assert.deepEqual(webviewReach(imports).map(({ chain, module }) => `${chain.join(' -> ')} -> ${module}`), []);
});

test('protocol/ compiles alone with the ES library only: no DOM, no Node globals', () => {
  assert.deepEqual(protocolAloneDiagnostics(), []);
});

test('every engine folder has a place in the layers, and the layers have no cycle', () => {
  const folders = readdirSync(join(ROOT, 'engine')).filter((name) => statSync(join(ROOT, 'engine', name)).isDirectory());
  assert.deepEqual(folders.filter((f) => !(f in ENGINE_LAYERS)), []);
  assert.deepEqual(Object.keys(ENGINE_LAYERS).filter((f) => !folders.includes(f)), [], 'no stale entries');
  assert.equal(layerCycle(ENGINE_LAYERS), undefined);
});

test("the README's Layout section names every engine folder and every top-level folder", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const layout = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
  // The tracked folders: what a run or a build leaves (test-artifacts/, dist/) is not the layout.
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  const folders = (dir: string) => [...new Set(tracked.filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length).split('/')).filter((parts) => parts.length > 1 && !parts[0].startsWith('.')).map((parts) => parts[0]))];
  assert.deepEqual(folders('engine/').filter((f) => !layout.includes(`\`${f}\``)), []);
  assert.deepEqual(folders('').filter((f) => !layout.includes(`\`${f}/\``)), []);
});

// The checker itself, on arrows the tree above must not have: each one is reported.
test('the checker reports each kind of back arrow', () => {
  const files = new Set([
    'protocol/index.ts',
    'engine/util/errors.ts',
    'engine/run/settings.ts',
    'engine/evaluation/settings.ts',
    'engine/train/loop.ts',
    'engine/cli/args.ts',
    'engine/server/server.ts',
    'engine/search/search.ts',
    'engine/bo/index.ts',
    'engine/bo/step.ts',
    'engine/bo/kernel/learned-kernel.ts',
    'extension/panels/graph.ts',
    'webview/main.ts',
    'webview/model/elk.ts',
  ]);
  const exists = (p: string) => files.has(p);
  const read = (file: string, source: string) => importsOf(file, source, exists);
  const cases: [Import[], RegExp][] = [
    [read('protocol/index.ts', "import { UserError } from '../engine/util/errors';"), /protocol\/ imports nothing/],
    [read('protocol/index.ts', "import type * as vscode from 'vscode';"), /protocol\/ imports nothing/],
    [read('engine/run/settings.ts', "import { DEFAULT_EVALUATOR } from '../evaluation/settings';"), /engine\/run may import only engine\/cost, engine\/util/],
    [read('engine/train/loop.ts', "export type { EvaluatorSettings } from '../evaluation/settings';"), /engine\/train may import only/],
    [read('engine/evaluation/settings.ts', "const args = await import('../cli/args');"), /engine\/evaluation may import only/],
    [read('engine/search/search.ts', "import { x } from '../server/server';"), /engine\/search may import only/],
    [read('engine/search/search.ts', "import { fitKernel } from '../bo/kernel/learned-kernel';"), /engine\/bo is used only through engine\/bo\/index.ts/],
    [read('engine/search/search.ts', "import { kernelProposals } from '../bo/step';"), /engine\/bo is used only through engine\/bo\/index.ts/],
    [read('engine/search/search.ts', "import { GraphPanel } from '../../extension/panels/graph';"), /neither extension\/ nor webview\//],
    [read('engine/search/search.ts', "import * as vscode from 'vscode';"), /without VS Code/],
    [read('webview/main.ts', "import { readFileSync } from 'node:fs';"), /no Node modules/],
    [read('webview/main.ts', "import { EventEmitter } from 'events';"), /no Node modules/],
    [read('webview/main.ts', "import { GraphPanel } from '../extension/panels/graph';"), /not engine\/cli, engine\/server, extension\//],
    [read('extension/panels/graph.ts', "import { layout } from '../../webview/model/elk';"), /not engine\/cli, engine\/server, webview\//],
    [read('extension/panels/graph.ts', "import { serve } from '../../engine/server/server';"), /not engine\/cli, engine\/server/],
  ];
  for (const [[arrow], expected] of cases) assert.match(violation(arrow) ?? 'allowed', expected, `${arrow.from} -> ${arrow.to}`);
  assert.equal(violation(read('engine/search/search.ts', "import { kernelProposals } from '../bo';")[0]), undefined, 'through its index.ts');

  const chain = [...read('webview/main.ts', "import { layout } from './model/elk';"), ...read('webview/model/elk.ts', "import { x } from '../../engine/run/settings';"), ...read('engine/run/settings.ts', "import { readFileSync } from 'node:fs';")];
  assert.deepEqual(webviewReach(chain), [{ chain: ['webview/main.ts', 'webview/model/elk.ts', 'engine/run/settings.ts'], module: 'node:fs' }]);

  assert.deepEqual(layerCycle({ ...ENGINE_LAYERS, run: ['util', 'evaluation'] }), ['run', 'evaluation', 'run']);
});
