// Issue 15, class 6: one process at a time on a run folder. A second one is refused naming the
// holder's pid; the lock of a process that is gone is taken over; the language server sees and
// respects a lock held by another process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { interruptHolder, LOCK_FILE, lockHolder, processStart, RunLock } from '../../engine/run/lock';
import { SearchWorkers } from '../../engine/server/searches';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const TEACHER = join(ROOT, 'examples/teachers/vgg-mini-mnist.arch.yaml');
const TINY = ['--dataset', 'mnist', '--steps', '2', '--kernels', '2', '--epochs', '1', '--teacher-epochs', '1', '--limit-train', '256', '--limit-validation', '128', '--acquisition-samples', '20', '--kernel-steps', '3', '--finetune-top', '0', '--workers', '1'];

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'esnac-lock-'));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a held lock is refused naming its holder; released, it can be taken again', () => {
  const dir = folder();
  const lock = RunLock.acquire(dir);
  assert.throws(() => RunLock.acquire(dir), new RegExp(`in use by process ${process.pid} on `));
  assert.equal(lockHolder(dir)?.pid, process.pid);
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  RunLock.acquire(dir).release();
});

test('stale locks are taken over: a dead pid, a torn file left long ago; a fresh torn one and another host are not', () => {
  const stale: Array<[string, string, number]> = [
    ['dead pid', JSON.stringify({ pid: deadPid(), host: hostname(), since: 'x', command: 'esnac' }), 0],
    ['empty file, old', '', 60],
    ['torn JSON, old', '{"pid": 12', 60],
  ];
  for (const [what, text, ageSeconds] of stale) {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), text);
    if (ageSeconds) utimesSync(join(dir, LOCK_FILE), new Date(Date.now() - ageSeconds * 1000), new Date(Date.now() - ageSeconds * 1000));
    assert.equal(lockHolder(dir), undefined, what);
    const lock = RunLock.acquire(dir);
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid, what);
    lock.release();
  }
  const fresh = folder();
  writeFileSync(join(fresh, LOCK_FILE), '');
  assert.throws(() => RunLock.acquire(fresh), /being locked by another process/);
  const remote = folder();
  writeFileSync(join(remote, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: 'another-machine', since: 'x', command: 'esnac' }));
  assert.throws(() => RunLock.acquire(remote), /in use by process \d+ on another-machine/);
});


test('a reused pid is no holder: a live pid that started at another time is taken over; without /proc the pid decides', (t) => {
  const mine = processStart(process.pid);
  if (mine === undefined) return t.skip('this system has no /proc/PID/stat');
  const [boot, ticks] = [mine.slice(0, mine.lastIndexOf(':')), Number(mine.slice(mine.lastIndexOf(':') + 1))];
  const holder = (started?: string) => JSON.stringify({ pid: process.pid, host: hostname(), ...(started !== undefined && { started }), since: 'x', command: 'esnac' });
  // A pid reused after the holder died: this process's pid, recorded with another start.
  for (const [what, started] of [
    ['started earlier', `${boot}:${ticks - 1}`],
    ['started later', `${boot}:${ticks + 100}`],
    ['same ticks, another boot', `another-boot:${ticks}`],
  ]) {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), holder(started));
    assert.equal(lockHolder(dir), undefined, what);
    const lock = RunLock.acquire(dir);
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).started, mine, what);
    lock.release();
  }
  // The holder itself, and a lock written where no start could be read (another system): held.
  for (const [what, started] of [
    ['same start', mine],
    ['no start recorded', undefined],
  ]) {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), holder(started));
    assert.equal(lockHolder(dir)?.pid, process.pid, what);
    assert.throws(() => RunLock.acquire(dir), new RegExp(`in use by process ${process.pid} `), what);
  }
  // The start as /proc gives it: field 22, after a command name that holds spaces and ')'.
  const proc = folder();
  mkdirSync(join(proc, '42'));
  writeFileSync(join(proc, '42', 'stat'), `42 (a b) c) S ${Array.from({ length: 30 }, (_, i) => i + 4).join(' ')}\n`);
  assert.equal(processStart(42, proc), 'boot:22');
  assert.equal(processStart(43, proc), undefined, 'a process that is gone');
  assert.equal(processStart(process.pid, join(proc, 'nothing')), undefined, 'no /proc');
});


test('interruptHolder signals the lock\'s holder only once its pid, start and boot are checked to be that process\'s', async (t) => {
  // A process that says when SIGINT reaches it, and ends then.
  const child = spawn(process.execPath, ['-e', "process.on('SIGINT', () => { process.stdout.write('SIGINT'); process.exit(0); }); process.stdout.write('ready'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  while (!out.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 20));
  const started = processStart(child.pid!);
  if (started === undefined) return t.skip('this system has no /proc/PID/stat');
  const [boot, ticks] = [started.slice(0, started.lastIndexOf(':')), Number(started.slice(started.lastIndexOf(':') + 1))];
  const lockOf = (fields: Record<string, unknown>) => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: hostname(), since: 'x', command: 'esnac', ...fields }));
    return dir;
  };
  for (const [what, fields, refusal] of [
    ['a reused pid (another start)', { started: `${boot}:${ticks + 100}` }, /is not running/],
    ['a reused pid (another boot)', { started: `another-boot:${ticks}` }, /is not running/],
    ['no start recorded', {}, /cannot tell/],
    ['another host', { started, host: `${hostname()}-other` }, /on .*-other: stop it there/],
  ] as const) {
    assert.throws(() => interruptHolder(lockOf(fields)), refusal, what);
  }
  assert.equal(out, 'ready', 'none of those was signalled');
  assert.throws(() => interruptHolder(folder()), /is not running/, 'no lock');
  assert.equal(interruptHolder(lockOf({ started })).pid, child.pid);
  assert.equal(await exited, 0);
  assert.equal(out, 'readySIGINT');
});

test('two esnac processes on one run: the second is refused naming the first, and the run counts its budget once', async () => {
  const runDir = join(folder(), 'run');
  const first = spawn(process.execPath, [CLI, 'compress', TEACHER, ...TINY, '-o', runDir], { cwd: ROOT });
  let output = '';
  first.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  first.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => first.on('exit', resolve));
  while (!existsSync(join(runDir, LOCK_FILE))) await new Promise((resolve) => setTimeout(resolve, 50));
  for (let k = 0; k < 2; k++) {
    const second = spawnSync(process.execPath, [CLI, 'compress', '--resume', runDir], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(second.status, 1, second.stdout + second.stderr);
    assert.match(second.stderr, new RegExp(`in use by process ${first.pid} `));
  }
  const workers = new SearchWorkers({ started() {}, progress() {}, candidate() {}, log() {} });
  assert.equal(workers.isRunning(runDir), true, 'the language server sees the CLI holds the run');
  await assert.rejects(workers.compress({ resume: runDir }, { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) }), new RegExp(`in use by process ${first.pid} `));
  await workers.dispose();
  assert.equal(await exited, 0, output);
  const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.equal(journal.filter((e) => e.type === 'candidate').length, 4);
  assert.equal(journal.filter((e) => e.type === 'done').length, 1);
  assert.equal(journal.at(-1)!.type, 'done');
  assert.equal(existsSync(join(runDir, LOCK_FILE)), false, 'released at the end');
});
