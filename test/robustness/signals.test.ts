// Issue 15, class 7: whichever signal stops esnac (Ctrl-C, SIGTERM, SIGHUP; a second one to quit
// at once), what it started stops too: an external trainer and its own children.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, fakeCommand } from '../evaluation/helpers';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const TEACHER = join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml');
const TINY = ['--dataset', 'mnist', '--steps', '1', '--kernels', '1', '--epochs', '1', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--finetune-top', '0'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The trainer's pid and its child's, once the sleeping fake trainer has written them. */
async function trainerPids(runDir: string): Promise<number[]> {
  for (;;) {
    const candidates = join(runDir, 'candidates');
    const folder = existsSync(candidates) ? readdirSync(candidates).find((f) => f.endsWith('.eval') && existsSync(join(candidates, f, 'pids'))) : undefined;
    if (folder) {
      const text = readFileSync(join(candidates, folder, 'pids'), 'utf8').trim();
      if (text.endsWith(']')) return JSON.parse(text) as number[];
    }
    await sleep(100);
  }
}

/** A trainer that ignores SIGTERM (so esnac's first stop waits out its grace period), as does its child. */
const STUBBORN = ['--evaluator-shell', '--evaluator-command', 'trap "" TERM; sleep 600 & echo "[$$, $!]" > {out}/pids; wait'];

const CASES: Array<[string, NodeJS.Signals[], string[]]> = [
  ['SIGTERM', ['SIGTERM'], ['--evaluator-command', fakeCommand('sleep')]],
  ['SIGHUP', ['SIGHUP'], ['--evaluator-command', fakeCommand('sleep')]],
  ['SIGINT', ['SIGINT'], ['--evaluator-command', fakeCommand('sleep')]],
  ['a second SIGTERM (quit at once, while a trainer ignores the first)', ['SIGTERM', 'SIGTERM'], STUBBORN],
  ['SIGHUP then SIGINT', ['SIGHUP', 'SIGINT'], STUBBORN],
];

for (const [what, signals, evaluator] of CASES) {
  test(`${what} to esnac compress stops the external trainer and its children`, async () => {
    const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-signal-')), 'run');
    const child = spawn(process.execPath, [CLI, 'compress', TEACHER, ...TINY, ...evaluator, '-o', runDir], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const pids = await trainerPids(runDir);
    assert.ok(pids.every(alive), 'the trainer and its child run');
    for (const signal of signals) {
      child.kill(signal);
      await sleep(200);
    }
    const code = await exited;
    assert.equal(code, 128 + constants.signals[signals.at(-1)!], output);
    for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
    assert.deepEqual(pids.filter(alive), [], `nothing esnac started still runs:\n${output}`);
  });
}
