// The slurm evaluator against a real single-node Slurm started here: a search whose candidates
// are jobs (one fails and is recorded, the run goes on), a job past its timeout, and a cancelled
// run that leaves no job in the queue.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEvaluator } from '../../engine/evaluation';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { compress } from '../../engine/search/compress';
import { loadSpecFile } from '../../engine/architecture/validate';
import { alive, evaluatorWith, fakeCommand, TEACHER, tinySearch } from './helpers';
import { Cluster, startCluster } from './slurm-cluster';

let cluster: Cluster | undefined;
let skip: string | false = false;

before(async () => {
  const started = await startCluster();
  if (typeof started === 'string') skip = `no Slurm cluster for this test: ${started}`;
  else cluster = started;
});

after(async () => {
  await cluster?.stop();
});

const slurm = (command: string, more: object = {}) => ({ kind: 'slurm' as const, command, pollSeconds: 0.3, retries: 0, ...more });

test('candidates run as Slurm jobs; a failing job is recorded with its stderr and the run goes on', async (t) => {
  if (skip) return t.skip(skip);
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-slurm-run-')), 'run');
  const result = await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir, settings: tinySearch(slurm(fakeCommand('first-fails', '--spec {spec}'))) });
  const events = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
  const candidates = events.filter((e): e is CandidateEvent => e.type === 'candidate');
  const failed = candidates.filter((e) => e.status === 'failed');
  const ok = candidates.filter((e) => e.status === 'ok');
  assert.equal(failed.length, 1);
  assert.equal(ok.length, 1);
  assert.match(failed[0].reason!, /^Slurm job \d+ ended FAILED, exit code 3 \(NonZeroExitCode\); stderr: loading the data\.\.\.\nRuntimeError: boom in /);
  assert.equal(result.best?.name, ok[0].name);
  const workDir = join(runDir, 'candidates', `${ok[0].name}.eval`);
  assert.match(readFileSync(join(workDir, 'job.sbatch'), 'utf8'), new RegExp(`#SBATCH --job-name=esnac-${ok[0].name}\\n`));
  assert.match(readFileSync(join(workDir, 'job-id'), 'utf8'), /^\d+\n$/);
  assert.deepEqual(cluster!.queued(), []);
});

test('a job running past its timeout is cancelled and fails', async (t) => {
  if (skip) return t.skip(skip);
  const runDir = mkdtempSync(join(tmpdir(), 'esnac-slurm-run-'));
  const settings = { ...DEFAULT_SETTINGS, evaluator: evaluatorWith(slurm(fakeCommand('sleep'), { timeoutMinutes: 0.02 })) };
  const ev = await startEvaluator({ runDir, dataset: 'mnist', load: {}, settings, teacherSpec: TEACHER, teacherWeights: join(runDir, 'none') });
  try {
    const spec = await loadSpecFile(TEACHER);
    const result = await ev.evaluate({ name: 'slow', spec, outDir: join(runDir, 'candidates', 'slow.weights') });
    assert.equal(result.status, 'failed');
    assert.match(result.status === 'failed' ? result.reason : '', /^timed out after 0\.02 minutes running \(Slurm job \d+, cancelled\)/);
    assert.deepEqual(cluster!.queued(), []);
  } finally {
    await ev.close();
  }
});

test('cancelling a run cancels its jobs: none is left in the queue', async (t) => {
  if (skip) return t.skip(skip);
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-slurm-run-')), 'run');
  const controller = new AbortController();
  const pidFiles = () => (existsSync(join(runDir, 'candidates')) ? readdirSync(join(runDir, 'candidates')).filter((f) => f.endsWith('.eval')).map((f) => join(runDir, 'candidates', f, 'pids')) : []);
  const watcher = setInterval(() => {
    const files = pidFiles();
    if (files.length === 2 && files.every((f) => existsSync(f) && readFileSync(f, 'utf8') !== '')) controller.abort(new Error('cancelled by the test'));
  }, 100);
  try {
    const result = await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir, settings: tinySearch(slurm(fakeCommand('sleep'))) }, {}, controller.signal);
    assert.equal(result.cancelled, true);
  } finally {
    clearInterval(watcher);
  }
  assert.deepEqual(cluster!.queued(), []);
  const pids = pidFiles().flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as number[]);
  assert.equal(pids.length, 4);
  assert.deepEqual(pids.map(alive), [false, false, false, false]);
  const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8');
  assert.ok(!journal.includes('"candidate"'), 'cancelled candidates are not recorded');
});
