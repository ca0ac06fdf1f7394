// The command evaluator with a fake trainer: placeholders, failures and retries in the journal,
// timeout, cancellation; and the template rules.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkedEvaluatorSettings, startEvaluator } from '../../engine/evaluation';
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';
import { compress } from '../../engine/search/compress';
import { splitArguments, shellQuote } from '../../engine/evaluation/template';
import { loadSpecFile } from '../../engine/architecture/validate';
import { UserError } from '../../engine/util/errors';
import { alive, evaluatorWith, fakeCommand, TEACHER, tinySearch } from './helpers';
import { EvaluatorSettings } from '../../engine/evaluation/settings';

/** An evaluator over a scratch run directory (no teacher weights: templates here need none). */
async function evaluatorFor(evaluator: Partial<EvaluatorSettings>, dataset = 'mnist') {
  const runDir = mkdtempSync(join(tmpdir(), 'esnac-command-'));
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, evaluator: evaluatorWith({ kind: 'command', ...evaluator }) };
  const ev = await startEvaluator({ runDir, dataset, load: {}, settings, teacherSpec: join(runDir, 'teacher.arch.yaml'), teacherWeights: join(runDir, 'teacher.weights') });
  const spec = await loadSpecFile(TEACHER);
  const request = (name: string) => ({ name, spec: { ...spec, name }, outDir: join(runDir, 'candidates', `${name}.weights`) });
  return { ev, runDir, request, workDir: (name: string) => join(runDir, 'candidates', `${name}.eval`) };
}

function journal(runDir: string): JournalEvent[] {
  return readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
}

test('placeholders are replaced inside their own argument, never read by a shell', async () => {
  const dataset = `my data; touch pwned $(touch pwned2) '"`;
  const { ev, request, workDir, runDir } = await evaluatorFor({ command: fakeCommand('ok', '--spec={spec} --epochs {epochs} --lr {learningRate} "two words" {dataset}') }, dataset);
  try {
    const result = await ev.evaluate(request('cand-a'));
    assert.deepEqual(result.status === 'ok' && [result.accuracy, result.backend], [0.5, 'fake']);
    const args = JSON.parse(readFileSync(join(workDir('cand-a'), 'args.json'), 'utf8')) as string[];
    const spec = join(workDir('cand-a'), 'cand-a.arch.yaml');
    assert.deepEqual(args.slice(0, 2), ['ok', workDir('cand-a')]);
    assert.deepEqual(args.slice(3), ['cand-a', `--spec=${spec}`, '--epochs', '10', '--lr', '0.001', 'two words', dataset]);
    assert.equal((await loadSpecFile(spec)).name, 'cand-a');
    assert.ok(!existsSync(join(workDir('cand-a'), 'pwned')) && !existsSync(join(runDir, 'pwned2')));
  } finally {
    await ev.close();
  }
});

test('with shell: true, /bin/sh runs the template and the values arrive quoted', async () => {
  const dataset = `x; touch pwned`;
  const { ev, request, workDir } = await evaluatorFor({ command: `printf %s {dataset} > dataset.txt && echo '{"accuracy": 0.25}' > {out}/result.json`, shell: true }, dataset);
  try {
    const result = await ev.evaluate(request('cand-b'));
    assert.equal(result.status === 'ok' && result.accuracy, 0.25);
    assert.equal(readFileSync(join(workDir('cand-b'), 'dataset.txt'), 'utf8'), dataset);
    assert.ok(!existsSync(join(workDir('cand-b'), 'pwned')));
  } finally {
    await ev.close();
  }
});

test('a failing command is retried, then recorded as failed with its stderr tail; the run goes on', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-command-')), 'run');
  const command = fakeCommand('first-fails', '--init {init} --data {data} --teacher {teacher} --teacher-weights {teacherWeights}');
  const result = await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir, settings: tinySearch({ kind: 'command', command, retries: 1 }) });
  const events = journal(runDir);
  const candidates = events.filter((e): e is CandidateEvent => e.type === 'candidate');
  const failed = candidates.filter((e) => e.status === 'failed');
  const ok = candidates.filter((e) => e.status === 'ok');
  assert.equal(failed.length, 1);
  assert.equal(ok.length, 1);
  assert.match(failed[0].reason!, /^failed 2 attempts; the last: exit code 3; stderr: loading the data\.\.\.\nRuntimeError: boom in /);
  assert.equal(readFileSync(join(runDir, 'candidates', `${failed[0].name}.eval`, 'attempts'), 'utf8'), 'xx');
  assert.equal(readFileSync(join(runDir, 'candidates', `${ok[0].name}.eval`, 'attempts'), 'utf8'), 'x');
  assert.equal(ok[0].backend, 'fake');
  assert.equal(result.best?.name, ok[0].name);
  assert.ok(!events.some((e) => e.type === 'finetune'), 'no tfjs fine-tuning of an external trainer\'s candidates');
  // The inputs the template asked for.
  const okDir = join(runDir, 'candidates', `${ok[0].name}.eval`);
  assert.ok(existsSync(join(okDir, 'init.weights', 'model.json')));
  const manifest = JSON.parse(readFileSync(join(runDir, 'dataset', 'dataset.json'), 'utf8'));
  assert.deepEqual([manifest.train.count, manifest.validation.count], [256, 128]);
  assert.equal(readFileSync(join(runDir, 'dataset', manifest.train.images)).byteLength, 256 * 784 * 4);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(run.settings.evaluator.command, command);
});

test('a result.json without an accuracy in [0, 1] fails the candidate', async () => {
  const { ev, request } = await evaluatorFor({ command: fakeCommand('bad-result'), retries: 0 });
  try {
    const result = await ev.evaluate(request('cand-c'));
    assert.equal(result.status, 'failed');
    assert.match(result.status === 'failed' ? result.reason : '', /"accuracy" must be a number from 0 to 1, got 97/);
  } finally {
    await ev.close();
  }
});

test('a command past its timeout is killed, with its children, and fails', async () => {
  // A shell sleeper starts in milliseconds, well inside the timeout even on a busy machine.
  const command = 'sleep 600 & echo "[$$, $!]" > {out}/pids; wait';
  const { ev, request, workDir } = await evaluatorFor({ command, shell: true, timeoutMinutes: 0.05, retries: 0 });
  try {
    const result = await ev.evaluate(request('cand-d'));
    assert.equal(result.status, 'failed');
    assert.match(result.status === 'failed' ? result.reason : '', /^timed out after 0\.05 minutes/);
    const pids = JSON.parse(readFileSync(join(workDir('cand-d'), 'pids'), 'utf8')) as number[];
    assert.deepEqual(pids.map(alive), [false, false]);
  } finally {
    await ev.close();
  }
});

test('cancelling an evaluation kills the command and its children before it rejects', async () => {
  const { ev, request, workDir } = await evaluatorFor({ command: fakeCommand('sleep') });
  const controller = new AbortController();
  try {
    const evaluation = ev.evaluate(request('cand-e'), controller.signal);
    const pidsFile = join(workDir('cand-e'), 'pids');
    while (!existsSync(pidsFile) || readFileSync(pidsFile, 'utf8') === '') await new Promise((r) => setTimeout(r, 50));
    const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as number[];
    assert.deepEqual(pids.map(alive), [true, true]);
    controller.abort(new Error('stop'));
    await assert.rejects(evaluation, /stop/);
    assert.deepEqual(pids.map(alive), [false, false]);
  } finally {
    await ev.close();
  }
});

test('templates: shell-like splitting without expansion, unknown placeholders refused', async () => {
  assert.deepEqual(splitArguments(`a 'b c' "d \\" e" f\\ g $HOME *`, 'here'), ['a', 'b c', 'd " e', 'f g', '$HOME', '*']);
  assert.deepEqual(splitArguments(`--x='' ""`, 'here'), ['--x=', '']);
  assert.throws(() => splitArguments(`a 'b`, 'here'), /here: a ' quote is not closed/);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  await assert.rejects(evaluatorFor({ command: 'train {spec} {nope}' }), (err: unknown) => err instanceof UserError && /unknown placeholder \{nope\}/.test(err.message));
  await assert.rejects(evaluatorFor({ command: 'train {stderr}' }), /unknown placeholder \{stderr\}/);
  await assert.rejects(evaluatorFor({ command: '  ' }), /the evaluator command is empty/);
  // A run is refused before its teacher trains when its Slurm job template cannot work.
  const jobTemplate = join(mkdtempSync(join(tmpdir(), 'esnac-template-')), 'job.sbatch.template');
  writeFileSync(jobTemplate, '#!/bin/sh\n#SBATCH --mem={memory}\n{command}\n');
  assert.throws(() => checkedEvaluatorSettings({ kind: 'slurm', command: 'train {spec}', jobTemplate }), /job\.sbatch\.template: unknown placeholder \{memory\}/);
  assert.throws(() => checkedEvaluatorSettings({ kind: 'slurm', command: 'train {spec}', jobTemplate: `${jobTemplate}.missing` }), /cannot read the Slurm job template \(ENOENT\)/);
  assert.equal(checkedEvaluatorSettings({ kind: 'slurm', command: 'train {spec}' }).jobTemplate, '', 'the shipped template is found and valid');
});
