// The command evaluator with the reference PyTorch trainer (evaluators/pytorch/train.py) on the
// embedded MNIST at a tiny budget: Debian's /usr/bin/python3 with python3-torch, and
// `esnac export --to pytorch` from the built CLI (bin/esnac.js).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { CandidateEvent, JournalEvent, TeacherEvent } from '../../engine/run/journal';
import { compress } from '../../engine/search/compress';
import { TEACHER, tinySearch } from './helpers';

const PYTHON = '/usr/bin/python3';
const TRAINER = resolve('evaluators/pytorch/train.py');

/** Why the test cannot run here, or undefined. */
function missing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return `${PYTHON} cannot import torch (apt-get install python3-torch)`;
  }
  let help = '';
  try {
    help = execFileSync(process.execPath, ['bin/esnac.js', 'export', '--help'], { encoding: 'utf8' });
  } catch {
    // No built CLI: said below.
  }
  return /Usage: esnac export/.test(help) ? undefined : "the built CLI (bin/esnac.js) has no 'esnac export' (npm run build)";
}

const COMMAND = [
  `${PYTHON} '${TRAINER}' --spec {spec} --init {init} --teacher {teacher} --teacher-weights {teacherWeights}`,
  '--data {data} --epochs {epochs} --batch-size {batchSize} --lr {learningRate} --weight-decay {weightDecay}',
  '--distillation {distillation} --temperature {temperature} --seed {seed} --esnac {esnac} --out {out} --threads 1',
].join(' ');

test('a search whose candidates the PyTorch reference trainer trains', async (t) => {
  const why = missing();
  if (why) return t.skip(`skipped: ${why}`);
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-pytorch-')), 'run');
  const result = await compress({
    teacherPath: TEACHER,
    dataset: 'mnist',
    runDir,
    settings: tinySearch({ kind: 'command', command: COMMAND, retries: 0 }, { steps: 2, kernels: 2, teacherEpochs: 2, limitTrain: 1024, limitValidation: 256 }),
  });
  const events = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
  const teacher = events.find((e): e is TeacherEvent => e.type === 'teacher')!;
  const candidates = events.filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.equal(candidates.length, 4);
  for (const c of candidates) {
    assert.equal(c.status, 'ok', c.reason);
    assert.match(c.backend!, /^pytorch /);
    const work = join(runDir, 'candidates', `${c.name}.eval`);
    const written = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8'));
    assert.equal(written.accuracy, c.accuracy);
    assert.equal(written.epochs.length, 1);
    // The teacher rebuilt in PyTorch from its spec and weights, on the run's dataset files,
    // classifies the validation split exactly as the engine measured it.
    assert.ok(Math.abs(written.teacherAccuracy - teacher.accuracy) <= 1 / 256 + 1e-9, `${written.teacherAccuracy} vs ${teacher.accuracy}`);
    assert.ok(existsSync(join(work, 'student.pt')));
  }
  assert.ok(result.best && candidates.some((c) => c.name === result.best!.name));
});
