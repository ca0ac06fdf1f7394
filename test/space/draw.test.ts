import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawCandidates } from '../../engine/space/draw';
import { reward } from '../../engine/space/reward';
import { buildSearchSpace } from '../../engine/space/space';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo/index';
import { FIVE_LAYER_DAG } from './fixtures/specs';

const space = buildSearchSpace(zooTeacher('resnet-mini', 'mnist'));
const TEACHER = { cost: space.teacherParams, accuracy: 0.9 };

test('reward: f = C (2 - C) A / A_teacher', () => {
  assert.equal(reward(TEACHER, TEACHER), 0);
  assert.equal(reward({ cost: 25, accuracy: 0.45 }, { cost: 100, accuracy: 0.9 }), 0.75 * 1.25 * 0.5);
  assert.equal(reward({ cost: 0, accuracy: 0.9 }, { cost: 100, accuracy: 0.9 }), 1);
});

test('drawCandidates deduplicates by structure and stops when the space runs out', () => {
  // Removal only on the 5-layer DAG: 3 removable layers give 2^3 - 1 structures besides the teacher.
  const small = buildSearchSpace(FIVE_LAYER_DAG, { shrink: false, skip: false });
  const drawn = drawCandidates(small, new Rng(1), 20);
  assert.equal(drawn.length, 7);
  assert.equal(new Set(drawn.map((d) => d.key)).size, 7);
});
