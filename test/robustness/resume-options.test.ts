// Issue 15, class 8: `--resume` takes the options that may change when a run goes on (evaluator
// command, timeout, retries, workers, budget) and records them; it refuses the others by name.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunManifest } from '../../engine/run/run-directory';
import { fakeCommand } from '../evaluation/helpers';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const TEACHER = join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml');
const TINY = ['--dataset', 'mnist', '--steps', '1', '--kernels', '1', '--epochs', '1', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--finetune-top', '0'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('--resume refuses, by name, every option that would make it another search', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--steps', '3'], /cannot change: --steps\. A resume may change /],
    [['--seed', '2', '--epochs', '4'], /cannot change: --epochs, --seed|cannot change: --seed, --epochs/],
    [['--dataset', 'fashion-mnist', '--no-skip'], /--dataset/],
    [[TEACHER, '--limit-train', '10'], /cannot change: the teacher .*vgg-mini-mnist\.arch\.yaml, --limit-train/],
    [['--teacher-weights', '/x', '--output', '/y', '--evaluator', 'command'], /--teacher-weights, --output, --evaluator\b/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [CLI, 'compress', '--resume', '/nonexistent/run', ...args], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
    for (const may of ['--workers', '--budget-minutes', '--evaluator-command', '--evaluation-timeout', '--retries']) assert.match(r.stderr, new RegExp(`may change .*${may}`));
  }
});

test('a run whose trainer hangs is resumed with another command, a timeout, retries, workers and a budget; run.json records them', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-resume-')), 'run');
  const hanging = spawn(process.execPath, [CLI, 'compress', TEACHER, ...TINY, '--evaluator-command', fakeCommand('sleep'), '-o', runDir], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise((resolve) => hanging.on('exit', resolve));
  const candidates = join(runDir, 'candidates');
  while (!(existsSync(candidates) && readdirSync(candidates).some((f) => existsSync(join(candidates, f, 'pids'))))) await sleep(100);
  hanging.kill('SIGTERM');
  await exited;

  const ok = fakeCommand('ok');
  const r = spawnSync(process.execPath, [CLI, 'compress', '--resume', runDir, '--evaluator-command', ok, '--evaluation-timeout', '5', '--retries', '0', '--workers', '1', '--budget-minutes', '30'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /resuming with workers 0 -> 1, budgetMinutes 0 -> 30, evaluator command .* -> .*ok.*, evaluator timeoutMinutes 0 -> 5, evaluator retries 1 -> 0/);
  assert.match(r.stdout, /best student \S+: /);
  const { settings } = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunManifest;
  assert.deepEqual([settings.evaluator.command, settings.evaluator.timeoutMinutes, settings.evaluator.retries, settings.workers, settings.budgetMinutes, settings.steps], [ok, 5, 0, 1, 30, 1]);
});
