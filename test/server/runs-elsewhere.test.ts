// A run another process holds (here `esnac compress` in a child process, as in a terminal): the
// engine lists it as running with the progress that process keeps in the run folder, cancels it
// by SIGINT to the checked lock holder, sees it stop with its lock released and its journal
// whole, and the run resumes to its end.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as protocol from '../../protocol';
import { signalExitCode } from '../../engine/util/signals';
import { LOCK_FILE } from '../../engine/run/lock';
import { Engine } from './client';

const ROOT = join(import.meta.dirname, '..', '..');
const TEACHER = join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml');
const TINY = ['--evaluator', 'local', '--dataset', 'mnist', '--steps', '2', '--kernels', '2', '--epochs', '1', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--acquisition-samples', '20', '--kernel-steps', '3', '--finetune-top', '0', '--workers', '1', '--backend', 'wasm'];
const cli = ['--import', 'tsx', join(ROOT, 'engine/cli/main.ts')];

let engine: Engine;
before(async () => {
  engine = await Engine.start();
});
after(async () => {
  await engine.stop();
});

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a CLI run shows its progress through listRuns and runState, stops on esnac/cancelRun with its lock released, and resumes to the end', { timeout: 600_000 }, async () => {
  const folder = mkdtempSync(join(tmpdir(), 'esnac-elsewhere-'));
  const runDir = join(folder, 'vgg-mini');
  const child = spawn(process.execPath, [...cli, 'compress', TEACHER, ...TINY, '-o', runDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const listed = () => engine.connection.sendRequest(protocol.ListRuns, { folders: [folder] }) as Promise<protocol.ListRunsResult>;
    // The child loads its modules, trains the teacher for an epoch, then searches: its progress shows while it runs.
    const running = await until('the run listed as running with its progress', 180, async () => listed().then((l) => l.runs.find((r) => r.status === 'running' && r.progress)));
    assert.equal(running.runDir, runDir);
    assert.ok(['teacher', 'proposing', 'evaluating'].includes(running.progress!.phase), running.progress!.phase);
    assert.equal(running.progress!.steps, 2);
    assert.equal(running.progress!.total, 4);
    assert.ok(running.progress!.fraction >= 0 && running.progress!.fraction < 1);
    const state = (await engine.connection.sendRequest(protocol.RunState, { runDir })) as protocol.RunStateResult;
    assert.equal(state.status, 'running');
    assert.ok(state.progress, 'runState has it too');
    // It moves on: a later progress (the search's, with a candidate evaluated) replaces the first.
    await until('progress of an evaluated candidate', 180, async () => listed().then((l) => (l.runs[0].progress && l.runs[0].progress.evaluated > 0 ? true : undefined)));

    const answer = (await engine.connection.sendRequest(protocol.CancelRun, { runDir })) as protocol.CancelRunResult;
    assert.equal(answer.pid, child.pid);
    assert.equal(await exited, signalExitCode('SIGINT'), output);
    assert.match(output, /SIGINT: stopping/);
    assert.match(output, /cancelled: resume with esnac compress --resume/);
    assert.equal(existsSync(join(runDir, LOCK_FILE)), false, 'the lock is released');
    const stopped = (await listed()).runs[0];
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.progress, undefined, 'no progress for a run no process holds');
    const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n');
    journal.forEach((line) => JSON.parse(line));
    assert.ok(stopped.evaluated >= 1 && stopped.evaluated < 4, String(stopped.evaluated));
    await assert.rejects(engine.connection.sendRequest(protocol.CancelRun, { runDir }), /is not running/);

    const resumed = spawnSync(process.execPath, [...cli, 'compress', '--resume', runDir], { cwd: ROOT, encoding: 'utf8', timeout: 400_000 });
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    const finished = (await engine.connection.sendRequest(protocol.RunState, { runDir })) as protocol.RunStateResult;
    assert.equal(finished.status, 'finished');
    assert.equal(finished.evaluated, 4);
    assert.equal(finished.journal.at(-1)?.type, 'done');
  } finally {
    child.kill('SIGKILL');
  }
});
