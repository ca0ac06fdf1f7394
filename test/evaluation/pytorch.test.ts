// The command evaluator with the PyTorch trainer's one-candidate entry point
// (evaluators/pytorch/train.py -> esnac_trainer.train_one) on the embedded MNIST at a tiny
// budget: no `esnac export` per candidate, weights back in the run's format, fine-tuning on them.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { findPython } from '../../engine/evaluation/pytorch/python';
import { readModel } from '../../engine/model/io';
import { CandidateEvent, JournalEvent, TeacherEvent } from '../../engine/run/journal';
import { compress } from '../../engine/search/compress';
import { TEACHER, tinySearch } from './helpers';

const TRAINER = resolve('evaluators/pytorch/train.py');

test('a search whose candidates the command evaluator trains with the PyTorch trainer', async (t) => {
  const found = await findPython({});
  if (!found.ok) return t.skip(`no Python with torch: ${found.reason}`);
  const command = [
    `'${found.info.python}' '${TRAINER}' --init {init} --teacher-weights {teacherWeights} --data {data} --weights {weights} --out {out}`,
    '--epochs {epochs} --batch-size {batchSize} --lr {learningRate} --weight-decay {weightDecay}',
    '--distillation {distillation} --temperature {temperature} --seed {seed} --name {name} --threads 1',
  ].join(' ');
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-pytorch-')), 'run');
  const result = await compress({
    teacherPath: TEACHER,
    dataset: 'mnist',
    runDir,
    settings: tinySearch({ kind: 'command', command, retries: 0 }, { steps: 2, kernels: 2, teacherEpochs: 2, limitTrain: 1024, limitValidation: 256 }),
  });
  const events = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
  assert.ok(events.some((e): e is TeacherEvent => e.type === 'teacher'));
  const candidates = events.filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.equal(candidates.length, 4);
  for (const c of candidates) {
    assert.equal(c.status, 'ok', c.reason);
    assert.match(c.backend!, /^pytorch /);
    const written = JSON.parse(readFileSync(join(runDir, 'candidates', `${c.name}.eval`, 'result.json'), 'utf8'));
    assert.equal(written.accuracy, c.accuracy);
    assert.equal(written.epochs.length, 1);
    const weights = readModel(join(runDir, c.weights!));
    assert.equal(weights.spec.name, c.name);
    assert.equal(weights.training?.validationAccuracy, c.accuracy);
  }
  assert.ok(result.best && candidates.some((c) => c.name === result.best!.name));
  assert.ok(existsSync(join(runDir, 'best.weights', 'model.json')));
});
