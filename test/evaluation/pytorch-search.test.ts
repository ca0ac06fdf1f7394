// Searches whose candidates the PyTorch pool trains, on the embedded MNIST at the tiny budget:
// best.weights that `esnac export` turns into a PyTorch module scoring the reported accuracy, a
// cancelled run that --resume finishes as an uninterrupted one, a run stopped in teacher training
// going on at the next teacher epoch, a killed worker whose candidate fails and whose place a new
// worker takes, a disk error while weights are written stopping the evaluation as the machine's,
// SIGTERM ending every worker, and the fallback to the tfjs workers when no Python with torch is
// found.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, TestContext } from 'node:test';
import { initBackend } from '../../engine/backend';
import { chooseEvaluator } from '../../engine/evaluation/choice';
import { exportDataset } from '../../engine/evaluation/inputs';
import { PytorchEvaluator } from '../../engine/evaluation/pytorch/evaluator';
import { PytorchPool } from '../../engine/evaluation/pytorch/pool';
import { findPython, trainerRoot } from '../../engine/evaluation/pytorch/python';
import { DEFAULT_EVALUATOR, EvaluatorSettings } from '../../engine/evaluation/settings';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';
import { RunManifest } from '../../engine/run/run-directory';
import { SearchSettings } from '../../engine/run/settings';
import { compress, TEACHER_CHECKPOINT } from '../../engine/search/compress';
import { isSystemError } from '../../engine/util/errors';
import { zooTeacher } from '../../engine/zoo';
import { TINY_SEARCH } from '../support/tiny-search';
import { TEACHER } from './helpers';

const ROOT = join(import.meta.dirname, '..', '..');
const found = findPython({});
const pytorch = (extra: Partial<EvaluatorSettings> = {}): EvaluatorSettings => ({ ...DEFAULT_EVALUATOR, kind: 'pytorch', ...extra });
const settings = (evaluator: EvaluatorSettings): Partial<SearchSettings> => ({ ...TINY_SEARCH, workers: 2, evaluator });

async function torchPython(t: TestContext): Promise<string | undefined> {
  const probe = await found;
  if (probe.ok) return probe.info.python;
  t.skip(`no Python with torch: ${probe.reason}`);
  return undefined;
}

function journal(runDir: string): JournalEvent[] {
  return readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
}

const candidates = (runDir: string) => journal(runDir).filter((e): e is CandidateEvent => e.type === 'candidate');

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'esnac-pytorch-search-'));
}

test('a search on PyTorch workers, cancelled and resumed, ends as the uninterrupted one, with best.weights esnac export turns into a module scoring the reported accuracy', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const whole = join(scratch(), 'whole');
  const logs: string[] = [];
  const result = await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir: whole, settings: settings(pytorch()) }, { log: (l) => logs.push(l) });
  const manifest = JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as RunManifest;
  assert.equal(manifest.versions.evaluatorUsed, 'pytorch');
  assert.match(logs.join('\n'), /evaluator: pytorch: .* has torch/);
  const done = candidates(whole);
  assert.equal(done.length, 4);
  for (const c of done) {
    assert.equal(c.status, 'ok', c.reason);
    assert.match(c.backend!, /^pytorch /);
  }
  const best = done.find((c) => c.name === result.best!.name)!;
  const module = join(scratch(), 'best.py');
  const exported = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'engine/cli/main.ts'), 'export', join(whole, 'best.arch.yaml'), '--to', 'pytorch', '-o', module, '--weights', join(whole, 'best.weights')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const scored = spawnSync(python, [join(import.meta.dirname, 'python', 'exported_accuracy.py'), module, join(whole, 'dataset')], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: trainerRoot() } });
  assert.equal(scored.status, 0, scored.stderr);
  assert.ok(Math.abs(Number(scored.stdout.trim()) - best.accuracy!) < 1e-6, `exported ${scored.stdout.trim()} vs reported ${best.accuracy}`);

  // The same seed, stopped after its first candidate, then resumed.
  const resumed = join(scratch(), 'resumed');
  const controller = new AbortController();
  const first = await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir: resumed, settings: settings(pytorch()) }, { candidate: () => controller.abort(new Error('stop')) }, controller.signal);
  assert.ok(first.cancelled);
  assert.ok(candidates(resumed).length < 4);
  await compress({ resume: resumed });
  const key = (c: CandidateEvent) => `${c.name} ${c.status} ${c.accuracy}`;
  assert.deepEqual(candidates(resumed).map(key).sort(), done.map(key).sort());
});

test('a run stopped while PyTorch trains its teacher resumes at the next teacher epoch, saying so', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const runDir = join(scratch(), 'run');
  const controller = new AbortController();
  const stopped = await compress(
    { teacherPath: TEACHER, dataset: 'mnist', runDir, settings: { ...settings(pytorch()), teacherEpochs: 3, workers: 1 } },
    { progress: (p) => p.phase === 'teacher' && p.training?.epoch === 1 && controller.abort() },
    controller.signal,
  );
  assert.equal(stopped.cancelled, true);
  assert.ok(existsSync(join(runDir, TEACHER_CHECKPOINT, 'pytorch.pt')), 'the teacher checkpoint is kept');
  const logs: string[] = [];
  const epochs: (number | undefined)[] = [];
  const resumed = await compress({ resume: runDir }, { log: (m) => logs.push(m), progress: (p) => p.phase === 'teacher' && epochs.push(p.training?.epoch) });
  assert.equal(resumed.cancelled, false);
  assert.ok(logs.some((m) => /resuming the teacher's training at epoch 2\/3/.test(m)), logs.join('\n'));
  assert.deepEqual([...new Set(epochs)], [0, 1, 2, 3], 'goes on from epoch 1 held in the checkpoint');
  assert.ok(!existsSync(join(runDir, TEACHER_CHECKPOINT)), 'the checkpoint is removed once the teacher is in the journal');
});

test('a killed worker fails its candidate with the reason, and a new worker takes its place', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const dataset = await exportDataset('mnist', { limitTrain: 512, limitValidation: 64 }, join(scratch(), 'dataset'));
  const pool = await PytorchPool.start({ python, dataset, workers: 1, threads: 1, gpus: 0, autocast: true });
  const evaluator = new PytorchEvaluator(pool);
  try {
    const teacher = zooTeacher('vgg-mini', 'mnist');
    const teacherWeights = join(scratch(), 'teacher');
    const fitted = await evaluator.fit({ spec: teacher, out: teacherWeights, epochs: 1, batchSize: 64, learningRate: 1e-3, weightDecay: 5e-4, seed: 1 });
    assert.equal(fitted.status, 'ok');
    evaluator.useTeacher({ teacherWeights, training: { epochs: 50, batchSize: 16, learningRate: 1e-3, weightDecay: 5e-4, distillation: { kind: 'mse' }, inherit: true, seed: 3 } });
    const [pid] = pool.pids();
    const running = evaluator.evaluate({ name: 'victim', spec: { ...teacher, name: 'victim' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(pid, 'SIGKILL');
    const result = await running;
    assert.equal(result.status, 'failed');
    assert.match(result.status === 'failed' ? result.reason : '', /the PyTorch worker exited \(signal SIGKILL\)/);
    evaluator.useTeacher({ teacherWeights, training: { epochs: 1, batchSize: 64, learningRate: 1e-3, weightDecay: 5e-4, distillation: { kind: 'kl', temperature: 4 }, inherit: true, seed: 3 } });
    const next = await evaluator.evaluate({ name: 'next', spec: { ...teacher, name: 'next' } });
    assert.equal(next.status, 'ok', next.status === 'failed' ? next.reason : '');
    assert.notDeepEqual(pool.pids(), [pid]);
  } finally {
    await evaluator.close();
  }
});

test("a disk error while a worker writes a candidate's weights is the machine's: evaluate rejects with the system error, the worker goes on", async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  await initBackend('cpu');
  const dataset = await exportDataset('mnist', { limitTrain: 256, limitValidation: 64 }, join(scratch(), 'dataset'));
  const pool = await PytorchPool.start({ python, dataset, workers: 1, threads: 1, gpus: 0, autocast: true });
  const evaluator = new PytorchEvaluator(pool);
  try {
    const teacher = zooTeacher('vgg-mini', 'mnist');
    const teacherWeights = join(scratch(), 'teacher');
    assert.equal((await evaluator.fit({ spec: teacher, out: teacherWeights, epochs: 1, batchSize: 64, learningRate: 1e-3, weightDecay: 5e-4, seed: 1 })).status, 'ok');
    evaluator.useTeacher({ teacherWeights, training: { epochs: 1, batchSize: 64, learningRate: 1e-3, weightDecay: 5e-4, distillation: { kind: 'mse' }, inherit: true, seed: 3 } });
    // A weights folder under a plain file: the operating system refuses the write (ENOTDIR), as
    // it refuses one on a full disk (ENOSPC); both are the machine's failures, not the candidate's.
    const file = join(scratch(), 'a-file');
    writeFileSync(file, '');
    await assert.rejects(evaluator.evaluate({ name: 'unwritable', spec: { ...teacher, name: 'unwritable' }, outDir: join(file, 'weights') }), (err: NodeJS.ErrnoException) => {
      assert.ok(isSystemError(err), `not a system error: ${String(err)}`);
      assert.equal(err.code, 'ENOTDIR');
      assert.match(err.message, /^ENOTDIR: .*a-file/);
      return true;
    });
    const next = await evaluator.evaluate({ name: 'next', spec: { ...teacher, name: 'next' }, outDir: join(scratch(), 'weights') });
    assert.equal(next.status, 'ok', next.status === 'failed' ? next.reason : '');
  } finally {
    await evaluator.close();
  }
});

/** The processes whose parent is `pid`. */
function children(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Running: exists and is not a zombie waiting for its new parent to reap it. */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
};

test('SIGTERM stops a search on PyTorch workers within seconds and leaves no worker behind', async (t) => {
  if (!(await torchPython(t))) return;
  if (process.platform !== 'linux') return t.skip('reads /proc');
  const runDir = join(scratch(), 'run');
  const args = ['--dataset', 'mnist', '--evaluator', 'pytorch', '--steps', '2', '--kernels', '2', '--epochs', '3', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--acquisition-samples', '20', '--kernel-steps', '3', '--finetune-top', '0'];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'engine/cli/main.ts'), 'compress', join(ROOT, TEACHER), ...args, '-o', runDir], { cwd: ROOT });
  let output = '';
  let workers: number[] = [];
  let stoppedAt = 0;
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    if (!stoppedAt && /^step 1\/2: evaluating/m.test(output)) {
      workers = children(child.pid!);
      stoppedAt = Date.now();
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.ok(stoppedAt > 0, output);
  assert.ok(Date.now() - stoppedAt < 10_000, 'stopped within seconds');
  assert.equal(code, 143, output);
  assert.ok(workers.length >= 2, `the workers were running: ${workers}`);
  // Within seconds of the engine's exit (a worker that outlived it ends when its input closes).
  for (let waited = 0; waited < 5000 && workers.some(alive); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(workers.filter(alive), []);
});

test('without a Python with torch, auto falls back to the tfjs workers and says why; pytorch refuses', async () => {
  const dir = scratch();
  const noTorch = join(dir, 'python-without-torch');
  writeFileSync(noTorch, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
  const old = join(dir, 'python-with-old-torch');
  writeFileSync(old, '#!/bin/sh\necho \'{"torch": "1.12.1", "cuda": false, "gpus": 0, "cpus": 2}\'\n');
  for (const f of [noTorch, old]) chmodSync(f, 0o755);
  const choice = await chooseEvaluator({ ...DEFAULT_EVALUATOR, python: noTorch });
  assert.equal(choice.used, 'local');
  assert.match(choice.why, /has no torch/);
  assert.match((await chooseEvaluator({ ...DEFAULT_EVALUATOR, python: old })).why, /torch 1\.12\.1; the trainer needs 1\.13 or newer/);
  assert.match((await chooseEvaluator({ ...DEFAULT_EVALUATOR, python: join(dir, 'missing') })).why, /missing was not found/);
  await assert.rejects(chooseEvaluator(pytorch({ python: noTorch })), /--evaluator pytorch needs a Python with torch >= 1\.13: .* has no torch/);
  // PATH order: an interpreter without torch first, one with torch later: the later one is used.
  const withTorch = await found;
  if (withTorch.ok) {
    const bin = join(dir, 'bin');
    const later = join(dir, 'later');
    for (const [folder, target] of [[bin, noTorch], [later, withTorch.info.python]]) {
      spawnSync('mkdir', ['-p', folder]);
      spawnSync('ln', ['-s', target, join(folder, 'python3')]);
    }
    const picked = await chooseEvaluator(DEFAULT_EVALUATOR, { PATH: `${bin}:${later}` });
    assert.equal(picked.torch?.python, join(later, 'python3'));
  }

  const runDir = join(dir, 'run');
  const logs: string[] = [];
  await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir, settings: { ...TINY_SEARCH, steps: 1, kernels: 1, evaluator: { ...DEFAULT_EVALUATOR, python: noTorch } } }, { log: (l) => logs.push(l) });
  const manifest = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunManifest;
  assert.equal(manifest.versions.evaluatorUsed, 'local');
  assert.match(manifest.versions.evaluatorChoice, /no Python with torch >= 1\.13 was found .*has no torch/);
  assert.match(logs.join('\n'), /evaluator: local: auto: the tfjs workers/);
  assert.equal(candidates(runDir)[0].status, 'ok');
});
