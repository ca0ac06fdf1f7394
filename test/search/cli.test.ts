// `esnac compress` as a user runs it: Ctrl-C stops within seconds and leaves a run that
// `--resume` finishes.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const TINY = ['--dataset', 'mnist', '--steps', '2', '--kernels', '2', '--epochs', '1', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--acquisition-samples', '20', '--kernel-steps', '3', '--finetune-top', '0'];

test('Ctrl-C stops a search within seconds, and --resume finishes it', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-cli-')), 'run');
  const child = spawn(process.execPath, [CLI, 'compress', join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml'), ...TINY, '-o', runDir], { cwd: ROOT });
  let output = '';
  let interruptedAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (!interruptedAt && /^ {2}\+ /m.test(output)) {
      interruptedAt = Date.now();
      child.kill('SIGINT');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.ok(interruptedAt > 0, `a candidate was evaluated before the interrupt:\n${output}`);
  assert.ok(Date.now() - interruptedAt < 10_000, 'stopped within seconds');
  assert.equal(code, 130, output);
  assert.match(output, /esnac compress --resume/);
  assert.ok(!existsSync(join(runDir, 'best.arch.yaml')));

  const resumed = spawnSync(process.execPath, [CLI, 'compress', '--resume', runDir], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /best student \S+: /);
  const candidates = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"candidate"'));
  assert.equal(candidates.length, 4);
  assert.ok(existsSync(join(runDir, 'best.arch.yaml')));
});

test('Ctrl-C during teacher training, then --resume: the teacher goes on at its next epoch', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-cli-')), 'run');
  const args = [...TINY.filter((_, i) => TINY[i - 1] !== '--teacher-epochs' && TINY[i] !== '--teacher-epochs'), '--teacher-epochs', '3', '--evaluator', 'local', '--workers', '1'];
  const child = spawn(process.execPath, [CLI, 'compress', join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml'), ...args, '-o', runDir], { cwd: ROOT });
  let output = '';
  let interrupted = false;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    // Once: a second Ctrl-C quits at once.
    if (!interrupted && /epoch 1\/3: /.test(output)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, output);
  assert.doesNotMatch(output, /"type":"teacher"/);

  const resumed = spawnSync(process.execPath, [CLI, 'compress', '--resume', runDir], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /resuming the teacher's training at epoch 2\/3/);
  assert.doesNotMatch(resumed.stdout, /epoch 1\/3: /, 'epoch 1 is not trained again');
  assert.match(resumed.stdout, /epoch 3\/3: /);
  assert.match(resumed.stdout, /best student \S+: /);
});

test('bad arguments and files give one clear line, not a stack trace', () => {
  const noDataset = spawnSync(process.execPath, [CLI, 'compress', join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml')], { encoding: 'utf8' });
  assert.equal(noDataset.status, 1);
  assert.match(noDataset.stderr, /needs --dataset/);
  const badSteps = spawnSync(process.execPath, [CLI, 'compress', 'x.arch.yaml', '--steps', 'zero'], { encoding: 'utf8' });
  assert.notEqual(badSteps.status, 0);
  assert.match(badSteps.stderr, /--steps.*expected an integer/);
  const missing = spawnSync(process.execPath, [CLI, 'compress', 'missing.arch.yaml', '--dataset', 'mnist'], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /missing\.arch\.yaml/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});
