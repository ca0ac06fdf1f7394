// The whole search with real training on the embedded MNIST, at a tiny budget.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CandidateEvent, TeacherEvent } from '../../engine/run/journal';
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';
import { compress, TEACHER_CHECKPOINT } from '../../engine/search/compress';
import { SearchProgress } from '../../engine/search/search';
import { inferShapes } from '../../engine/architecture/shapes';
import { checkSpec, loadSpecFile } from '../../engine/architecture/validate';
import { TINY_SEARCH } from '../support/tiny-search';

const TEACHER = 'examples/teachers/vgg-mini-mnist.arch.yaml';

const tiny: Partial<SearchSettings> = { ...TINY_SEARCH, finetuneTop: 1, finetuneEpochs: 1, workers: 2 };

test('compress trains the teacher, searches, fine-tunes and writes the best student', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-compress-')), 'run');
  const teacherBefore = statSync(TEACHER).mtimeMs;
  const progress: SearchProgress[] = [];
  const candidates: CandidateEvent[] = [];
  const result = await compress(
    { teacherPath: TEACHER, dataset: 'mnist', runDir, settings: tiny },
    { progress: (p) => progress.push(p), candidate: (e) => candidates.push(e) },
  );
  assert.equal(result.cancelled, false);
  assert.equal(result.runDir, runDir);
  assert.equal(candidates.length, 4);
  assert.ok(candidates.every((c) => c.status === 'ok' && c.accuracy! >= 0 && c.accuracy! <= 1));
  assert.ok(progress.some((p) => p.phase === 'evaluating' && p.evaluated === 4));

  const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const teacher = journal.find((e) => e.type === 'teacher') as TeacherEvent;
  assert.equal(teacher.trained, true);
  assert.ok(journal.some((e) => e.type === 'finetune' && e.status === 'ok'));
  assert.equal(journal.at(-1).type, 'done');

  const best = await loadSpecFile(join(runDir, 'best.arch.yaml'));
  assert.deepEqual(checkSpec(best), []);
  assert.ok(inferShapes(best).params < teacher.params, 'the student is smaller than the teacher');
  assert.equal(result.best?.name, best.name);
  const teacherOfBest = await loadSpecFile(join(runDir, best.candidate!.teacherPath!));
  assert.equal(teacherOfBest.name, 'vgg-mini-mnist', 'best.arch.yaml names its teacher by a path that resolves');
  assert.ok(readdirSync(join(runDir, 'best.weights')).includes('model.json'));
  assert.match(readFileSync(join(runDir, 'report.md'), 'utf8'), new RegExp(best.name));
  assert.equal(statSync(TEACHER).mtimeMs, teacherBefore, 'the teacher file is untouched');

  // Resuming a finished run changes nothing.
  const before = readFileSync(join(runDir, 'journal.jsonl'), 'utf8');
  const again = await compress({ resume: runDir });
  assert.equal(again.best?.name, best.name);
  assert.equal(readFileSync(join(runDir, 'journal.jsonl'), 'utf8'), before);
});

test('compress refuses a run directory that is not empty, and a dataset it cannot load', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'esnac-compress-'));
  await assert.rejects(compress({ teacherPath: TEACHER, dataset: 'mnist', runDir: join(runDir, '..'), settings: tiny }), /not empty/);
  await assert.rejects(compress({ teacherPath: TEACHER, dataset: 'cifar10', runDir: join(runDir, 'x'), settings: tiny }), /cifar10/);
});

test('a run stopped in teacher training resumes at the next teacher epoch, saying so', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-compress-')), 'run');
  // The local trainer checkpoints the teacher; one process at a time keeps the test light.
  const settings: Partial<SearchSettings> = { ...TINY_SEARCH, teacherEpochs: 3, workers: 1, evaluator: { ...DEFAULT_SETTINGS.evaluator, kind: 'local' } };
  const controller = new AbortController();
  const first: SearchProgress[] = [];
  const stopped = await compress(
    { teacherPath: TEACHER, dataset: 'mnist', runDir, settings },
    {
      progress: (p) => {
        first.push(p);
        if (p.phase === 'teacher' && p.training?.epoch === 1) controller.abort();
      },
    },
    controller.signal,
  );
  assert.equal(stopped.cancelled, true);
  assert.ok(existsSync(join(runDir, TEACHER_CHECKPOINT, 'state.json')), 'the teacher checkpoint is kept');
  assert.ok(first.some((p) => p.phase === 'teacher' && p.training?.epoch === 1 && p.training.epochs === 3 && p.training.accuracy !== undefined && p.training.imagesPerSecond! > 0));

  const logs: string[] = [];
  const again: SearchProgress[] = [];
  const resumed = await compress({ resume: runDir }, { log: (m) => logs.push(m), progress: (p) => again.push(p) });
  assert.equal(resumed.cancelled, false);
  assert.ok(logs.some((m) => /resuming the teacher's training at epoch 2\/3/.test(m)), logs.join('\n'));
  const teacherEpochs = again.filter((p) => p.phase === 'teacher').map((p) => p.training?.epoch);
  assert.deepEqual([...new Set(teacherEpochs)], [0, 1, 2, 3], 'goes on from epoch 1 held in the checkpoint');
  assert.ok(!existsSync(join(runDir, TEACHER_CHECKPOINT)), 'the checkpoint is removed once the teacher is in the journal');
  assert.ok(again.some((p) => p.phase === 'testing') && again.at(-1)?.phase === 'done');
});
