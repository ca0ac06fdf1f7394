import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawCandidates, randomSearch } from '../../engine/space/random-search';
import { reward } from '../../engine/space/reward';
import { buildSearchSpace } from '../../engine/space/space';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo/index';
import { analyticStandInEvaluator, standInAccuracy } from './fixtures/stand-in-evaluator';
import { FIVE_LAYER_DAG } from './fixtures/specs';

const space = buildSearchSpace(zooTeacher('resnet-mini', 'mnist'));
const TEACHER = { params: space.teacherParams, accuracy: 0.9 };

function evaluator(concurrency: number, fails?: (name: string) => boolean) {
  return analyticStandInEvaluator({
    teacherParams: TEACHER.params,
    teacherAccuracy: TEACHER.accuracy,
    concurrency,
    ...(fails && { fails: (request) => fails(request.name) }),
  });
}

test('reward: f = C (2 - C) A / A_teacher', () => {
  const teacher = { cost: TEACHER.params, accuracy: TEACHER.accuracy };
  assert.equal(reward(teacher, teacher), 0);
  assert.equal(reward({ cost: 25, accuracy: 0.45 }, { cost: 100, accuracy: 0.9 }), 0.75 * 1.25 * 0.5);
  assert.equal(reward({ cost: 0, accuracy: 0.9 }, { cost: 100, accuracy: 0.9 }), 1);
});

test('random search evaluates distinct candidates and keeps the best by f', async () => {
  const stand = evaluator(3, (name) => name.endsWith('0'));
  const progress: number[] = [];
  const result = await randomSearch({ space, evaluator: stand, teacherAccuracy: TEACHER.accuracy, count: 24, rng: new Rng(5), onProgress: (p) => progress.push(p.done) });
  assert.equal(result.cancelled, false);
  assert.equal(result.evaluated.length, 24);
  assert.deepEqual(progress, Array.from({ length: 24 }, (_, i) => i + 1));
  assert.equal(new Set(result.evaluated.map((e) => e.key)).size, 24, 'distinct structures');
  assert.equal(stand.maxInFlight, 3, 'keeps evaluator.concurrency evaluations in flight');

  const scored = result.evaluated.filter((e) => e.result.status === 'ok');
  assert.ok(scored.length < 24, 'some stand-in failures');
  const expected = scored.map((e) => reward({ cost: e.params, accuracy: standInAccuracy(e.params, { teacherParams: TEACHER.params, teacherAccuracy: TEACHER.accuracy }) }, { cost: TEACHER.params, accuracy: TEACHER.accuracy }));
  assert.deepEqual(scored.map((e) => e.f), expected);
  assert.ok(result.evaluated.every((e) => e.result.status === 'ok' || e.f === undefined));
  assert.equal(result.best!.f, Math.max(...expected));
});

test('the same seed draws the same candidates, whatever the evaluation order', async () => {
  const run = async (concurrency: number) =>
    (await randomSearch({ space, evaluator: evaluator(concurrency), teacherAccuracy: TEACHER.accuracy, count: 10, rng: new Rng(8) })).evaluated.map((e) => e.spec.name);
  assert.deepEqual(await run(1), await run(4));
});

test('drawCandidates deduplicates by structure and stops when the space runs out', () => {
  // Removal only on the 5-layer DAG: 3 removable layers give 2^3 - 1 structures besides the teacher.
  const small = buildSearchSpace(FIVE_LAYER_DAG, { shrink: false, skip: false });
  const drawn = drawCandidates(small, new Rng(1), 20);
  assert.equal(drawn.length, 7);
  assert.equal(new Set(drawn.map((d) => d.key)).size, 7);
});

test('cancellation stops new evaluations and returns what finished', async () => {
  const stand = evaluator(2);
  const controller = new AbortController();
  const result = await randomSearch({
    space,
    evaluator: stand,
    teacherAccuracy: TEACHER.accuracy,
    count: 30,
    rng: new Rng(3),
    signal: controller.signal,
    onProgress: (p) => {
      if (p.done === 4) controller.abort();
    },
  });
  assert.equal(result.cancelled, true);
  assert.ok(result.evaluated.length >= 4 && result.evaluated.length < 30);
  assert.ok(stand.started.every((s) => !s.aborted), 'nothing starts after the abort');
  assert.ok(stand.started.length <= 4 + 2);
});
