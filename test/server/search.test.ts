// The esnac/ search protocol against the real engine process: a tiny search on the embedded
// MNIST, cancelled through LSP cancellation after its first candidate, then resumed to the end.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { Hover } from 'vscode-languageserver';
import * as protocol from '../../protocol';
import { TINY_SEARCH } from '../support/tiny-search';
import { Engine } from './client';

const TEACHER = resolve('examples/teachers/vgg-mini-mnist.arch.yaml');

const tiny: Partial<protocol.SearchSettings> = TINY_SEARCH;

let engine: Engine;
before(async () => {
  engine = await Engine.start();
});
after(async () => {
  await engine.stop();
});

test('the engine reports its backend after start-up', async () => {
  const { params } = await engine.next(protocol.EngineInfo);
  const info = params as protocol.EngineInfoParams;
  assert.ok(info.backend, `a backend loaded (${info.error})`);
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(info.backend.name));
  assert.deepEqual(await engine.connection.sendRequest(protocol.GetEngineInfo), info);
});

test('a search streams progress and candidates, stops when cancelled, and resumes to its best student', { timeout: 240_000 }, async () => {
  const folder = mkdtempSync(join(tmpdir(), 'esnac-server-'));
  const runDir = join(folder, 'vgg-mini');
  const cancel = new CancellationTokenSource();
  const params: protocol.StartSearchParams = { teacher: TEACHER, dataset: 'mnist', runDir, settings: tiny };
  const search = engine.connection.sendRequest(protocol.StartSearch, params, cancel.token) as Promise<protocol.SearchResult>;

  assert.equal((await engine.next(protocol.SearchStarted)).params.runDir, runDir);
  // Language features answer while the search trains.
  const doc = 'file:///workspace/teacher.arch.yaml';
  const teacherText = readFileSync(TEACHER, 'utf8');
  await engine.open(doc, teacherText);
  const hover = (await engine.connection.sendRequest('textDocument/hover', { textDocument: { uri: doc }, position: { line: teacherText.split('\n').findIndex((l) => l.includes('id: block1.conv1')), character: 10 } })) as Hover;
  assert.ok(hover);

  const first = (await engine.next(protocol.CandidateEvaluated)).params as protocol.CandidateEvaluatedParams;
  assert.equal(first.runDir, runDir);
  assert.equal(first.step, 1);
  assert.ok(existsSync(first.spec), 'the candidate spec path is absolute and exists');
  assert.equal(first.status, 'ok', first.reason);
  assert.ok(first.accuracy! >= 0 && first.accuracy! <= 1 && first.params > 0);
  cancel.cancel();
  const stopped = await search;
  assert.deepEqual(stopped, { runDir, cancelled: true });

  const progress = engine.notifications.filter((n) => n.method === protocol.SearchProgress).map((n) => n.params as protocol.SearchProgressParams);
  assert.ok(progress.some((p) => p.runDir === runDir && p.phase === 'evaluating' && p.steps === 2 && p.total === 4));
  assert.ok(engine.notifications.some((n) => n.method === protocol.Log && n.params.runDir === runDir));
  assert.ok(existsSync(join(runDir, 'run.json')) && existsSync(join(runDir, 'journal.jsonl')));
  assert.ok(!existsSync(join(runDir, 'best.arch.yaml')));

  const listed = (await engine.connection.sendRequest(protocol.ListRuns, { folders: [folder, join(folder, 'absent')] })) as protocol.ListRunsResult;
  assert.equal(listed.runs.length, 1);
  const [summary] = listed.runs;
  assert.equal(summary.status, 'stopped');
  assert.equal(summary.teacher, 'vgg-mini-mnist');
  assert.ok(summary.evaluated >= 1 && summary.evaluated < 4);

  const resuming = engine.connection.sendRequest(protocol.ResumeRun, { runDir }) as Promise<protocol.SearchResult>;
  await assert.rejects(engine.connection.sendRequest(protocol.ResumeRun, { runDir }), /is running already/);
  assert.equal(((await engine.connection.sendRequest(protocol.RunState, { runDir })) as protocol.RunStateResult).status, 'running');
  const resumed = await resuming;
  assert.equal(resumed.cancelled, false);
  assert.equal(resumed.best?.spec, join(runDir, 'best.arch.yaml'));
  assert.ok(existsSync(join(runDir, 'best.arch.yaml')));

  const state = (await engine.connection.sendRequest(protocol.RunState, { runDir })) as protocol.RunStateResult;
  assert.equal(state.status, 'finished');
  assert.equal(state.evaluated, 4);
  assert.equal(state.settings.steps, 2);
  assert.equal(state.best?.name, resumed.best?.name);
  assert.equal(state.journal.at(-1)?.type, 'done');
});

test('a search that cannot start answers with the reason', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-server-')), 'run');
  await assert.rejects(engine.connection.sendRequest(protocol.StartSearch, { teacher: TEACHER, dataset: 'cifar10', runDir, settings: tiny }), /cifar10/);
  await assert.rejects(engine.connection.sendRequest(protocol.ResumeRun, { runDir: tmpdir() }), /not an esnac run directory/);
});
