// Issue 15, class 4: a run killed (kill -9) in any window where a file of it is being written,
// or stopped by a full disk, resumes to the run an uninterrupted search makes: every file of a
// run is whole or absent, and resume redoes what is missing.
import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readModel } from '../../engine/model/io';
import { fileStem } from '../../engine/util/file-name';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const CRASH_AT = join(import.meta.dirname, 'fixtures', 'crash-at.cjs');
const TEACHER = join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml');
// The local evaluator: its worker threads write the candidates' weights, which the preload reaches.
const TINY = ['--evaluator', 'local', '--dataset', 'mnist', '--steps', '2', '--kernels', '2', '--epochs', '1', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--acquisition-samples', '20', '--kernel-steps', '3', '--finetune-top', '0', '--workers', '1'];

function esnac(args: string[], crash?: { when: 'before' | 'after'; target: string }, fullAt?: string): SpawnSyncReturns<string> {
  const env = { ...process.env, ...(crash ? { ESNAC_CRASH_WHEN: crash.when, ESNAC_CRASH_TARGET: crash.target } : {}), ...(fullAt ? { ESNAC_FULL_TARGET: fullAt } : {}) };
  return spawnSync(process.execPath, ['--require', CRASH_AT, CLI, ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 300_000 });
}

function journal(runDir: string): JournalEvent[] {
  return readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
}

/** What must match between runs: the candidates as measured, in journal order per step. */
function outcome(runDir: string) {
  const events = journal(runDir);
  const candidates = events
    .filter((e): e is CandidateEvent => e.type === 'candidate')
    .map(({ step, name, key, status, accuracy, f, params }) => ({ step, name, key, status, accuracy, f, params }))
    .sort((a, b) => a.step - b.step || a.name.localeCompare(b.name));
  return { candidates, done: events.filter((e) => e.type === 'done') };
}

/** Every file of a finished run is whole: each JSON parses, each weights folder loads. */
function assertWhole(runDir: string): void {
  const events = journal(runDir);
  assert.equal(events.filter((e) => e.type === 'teacher').length, 1);
  assert.equal(events.filter((e) => e.type === 'candidate').length, 4);
  assert.equal(events.filter((e) => e.type === 'kernels').length, 1);
  assert.equal(events.at(-1)!.type, 'done');
  assert.equal(events.filter((e) => e.type === 'done').length, 1);
  for (const c of events.filter((e): e is CandidateEvent => e.type === 'candidate')) {
    // A full disk is the machine's failure, never the candidate's: such a candidate is redone.
    if (c.status === 'failed') assert.doesNotMatch(c.reason ?? '', /ENOSPC|no space|EDQUOT|EROFS|EIO/, `${c.name} recorded as failed by the disk`);
    else assert.ok(c.weights && readModel(join(runDir, c.weights)).data.byteLength > 0, `${c.name} done with its weights whole`);
  }
  for (const folder of ['', 'candidates', 'kernels']) {
    for (const name of readdirSync(join(runDir, folder))) {
      assert.doesNotMatch(name, /\.tmp-/, `no temporary left in ${folder || 'the run'}`);
      const path = join(runDir, folder, name);
      if (name.endsWith('.json')) JSON.parse(readFileSync(path, 'utf8'));
      if (name.endsWith('.weights')) assert.ok(readModel(path).data.byteLength > 0);
    }
  }
  assert.ok(readModel(join(runDir, 'best.weights')).data.byteLength > 0, 'best.weights whole');
  assert.match(readFileSync(join(runDir, 'report.md'), 'utf8'), /\| teacher \|/);
}

let referenceRun: string | undefined;

/** An uninterrupted run, made once for the tests that compare with it. */
function uninterrupted(): string {
  if (referenceRun) return referenceRun;
  const reference = join(mkdtempSync(join(tmpdir(), 'esnac-crash-reference-')), 'reference');
  const done = esnac(['compress', TEACHER, ...TINY, '-o', reference]);
  assert.equal(done.status, 0, done.stderr);
  assertWhole(reference);
  return (referenceRun = reference);
}

test('kill -9 in every window where a run file is written; each resume goes on, and the run ends as an uninterrupted one', () => {
  const root = mkdtempSync(join(tmpdir(), 'esnac-crash-'));
  const reference = uninterrupted();

  const runDir = join(root, 'crashed');
  const windows: Array<{ when: 'before' | 'after'; target: string }> = [
    { when: 'before', target: '/crashed$' },
    { when: 'before', target: '/teacher\\.weights$' },
    { when: 'after', target: '/teacher\\.weights$' },
    { when: 'after', target: '/candidates/[^/]+\\.weights$' },
    { when: 'before', target: '/kernels/step-2-kernel-1\\.json$' },
    { when: 'after', target: '/kernels/step-2-kernel-2\\.json$' },
    { when: 'before', target: '/best\\.weights$' },
    { when: 'after', target: '/best\\.weights$' },
    { when: 'after', target: '/report\\.md$' },
  ];
  const first = ['compress', TEACHER, ...TINY, '--teacher-weights', join(reference, 'teacher.weights'), '-o', runDir];
  for (const [k, crash] of windows.entries()) {
    const args = existsSync(join(runDir, 'run.json')) ? ['compress', '--resume', runDir] : first;
    const r = esnac(args, crash);
    assert.equal(r.signal, 'SIGKILL', `window ${k} (${crash.when} ${crash.target}) was reached: ${r.stdout}\n${r.stderr}`);
  }
  const last = esnac(['compress', '--resume', runDir]);
  assert.equal(last.status, 0, last.stdout + last.stderr);
  assertWhole(runDir);
  assert.deepEqual(outcome(runDir), outcome(reference));
});

test('a full disk while a training worker writes a candidate\'s weights stops the run; the candidate is not done, resume trains it again', () => {
  const reference = uninterrupted();
  const candidates = outcome(reference).candidates;
  const stem = (name: string) => fileStem(name).replace(/[.]/g, '\\.');
  // Which write meets the full disk: the first candidate's weights, a step-2 candidate's model.json, the last one's weights.
  const variants = [
    `/candidates/\\.[^/]+\\.weights\\.tmp-[^/]+/weights\\.bin$`,
    `/candidates/\\.${stem(candidates.find((c) => c.step === 2)!.name)}\\.weights\\.tmp-[^/]+/model\\.json$`,
    `/candidates/\\.${stem(candidates.at(-1)!.name)}\\.weights\\.tmp-[^/]+/weights\\.bin$`,
  ];
  for (const fullAt of variants) {
    const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-full-at-')), 'run');
    const full = esnac(['compress', TEACHER, ...TINY, '--teacher-weights', join(reference, 'teacher.weights'), '-o', runDir], undefined, fullAt);
    assert.equal(full.status, 1, `${fullAt}: ${full.stdout}\n${full.stderr}`);
    assert.match(full.stderr, /(^|\n)esnac: ENOSPC: no space left on device, write\n$/, fullAt);
    assert.doesNotMatch(full.stderr, /internal error|\n\s+at .*\.[jt]s:\d+/, 'one line, no stack trace');
    const recorded = journal(runDir).filter((e): e is CandidateEvent => e.type === 'candidate');
    assert.ok(recorded.length < 4, `${fullAt}: the run stopped at the candidate`);
    assert.ok(recorded.every((c) => c.status === 'ok' && c.weights), `${fullAt}: no candidate recorded without its weights`);
    const resumed = esnac(['compress', '--resume', runDir]);
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    assertWhole(runDir);
    assert.deepEqual(outcome(runDir), outcome(reference), fullAt);
  }
});

test('a full disk stops the run cleanly with whole files only, and resume after space is freed finishes it', (t) => {
  if (process.getuid?.() !== 0) return t.skip('mounting a small tmpfs needs root (CI runs as root)');
  const mountPoint = mkdtempSync(join(tmpdir(), 'esnac-full-'));
  const teacherWeights = join(mkdtempSync(join(tmpdir(), 'esnac-full-teacher-')), 'teacher');
  const trained = esnac(['train', TEACHER, '--dataset', 'mnist', '--epochs', '1', '--limit-train', '256', '--limit-validation', '128', '-o', teacherWeights]);
  assert.equal(trained.status, 0, trained.stderr);
  // Sizes that fill up in different places: while the teacher is copied, and later in the search.
  for (const size of ['200k', '700k', '1100k']) {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint], { encoding: 'utf8' });
    if (mounted.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
    try {
      const runDir = join(mountPoint, 'run');
      mkdirSync(runDir);
      const full = esnac(['compress', TEACHER, ...TINY, '--teacher-weights', teacherWeights, '-o', runDir]);
      assert.equal(full.signal, null, 'exited by itself');
      assert.notEqual(full.status, 0, `the ${size} disk filled up:\n${full.stdout}`);
      assert.match(full.stderr, /esnac: ENOSPC: no space left on device/);
      assert.doesNotMatch(full.stderr, /internal error|\n\s+at .*\.[jt]s:\d+/, 'one line, no stack trace');
      t.diagnostic(`${size}: ${full.stderr.trim().split('\n').at(-1)}`);
      spawnSync('mount', ['-o', 'remount,size=8m', mountPoint]);
      const resumed = esnac(['compress', '--resume', runDir]);
      assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
      assertWhole(runDir);
    } finally {
      spawnSync('umount', [mountPoint]);
    }
  }
});

test('a crash while the run folder is made leaves a hidden partial folder that resume and the next run remove', () => {
  const root = mkdtempSync(join(tmpdir(), 'esnac-crash-made-'));
  const runDir = join(root, 'made');
  const hidden = () => readdirSync(root).filter((name) => name.startsWith('.made.tmp-'));
  const windows: Array<{ when: 'before' | 'after'; target: string }> = [
    { when: 'before', target: '/made$' },
    { when: 'before', target: '/\\.made\\.tmp-[^/]+/run\\.json$' },
    { when: 'after', target: '/\\.made\\.tmp-[^/]+/teacher\\.arch\\.yaml$' },
  ];
  for (const [k, crash] of windows.entries()) {
    const r = esnac(['compress', TEACHER, ...TINY, '-o', runDir], crash);
    assert.equal(r.signal, 'SIGKILL', `window ${k} was reached: ${r.stdout}\n${r.stderr}`);
    assert.equal(existsSync(runDir), false, `window ${k}: no run folder`);
    assert.equal(hidden().length, 1, `window ${k}: the partial folder is there to clean`);
    if (k === 0) {
      const resumed = esnac(['compress', '--resume', runDir]);
      assert.equal(resumed.status, 1, resumed.stdout + resumed.stderr);
      assert.match(resumed.stderr, /made was never created: a crash interrupted its creation \(its partial copy \.made\.tmp-\d+-[0-9a-f]+ is removed now\); start the run again/);
    } else {
      // The next run into the same folder: made, then stopped once the teacher is trained.
      const next = esnac(['compress', TEACHER, ...TINY, '-o', runDir], { when: 'before', target: '/teacher\\.weights$' });
      assert.equal(next.signal, 'SIGKILL', next.stdout + next.stderr);
      assert.ok(existsSync(join(runDir, 'run.json')), `window ${k}: the next run made its folder`);
      rmSync(runDir, { recursive: true });
    }
    assert.deepEqual(hidden(), [], `window ${k}: nothing hidden left`);
  }
});
