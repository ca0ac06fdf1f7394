import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { randomProposals } from '../../engine/bo';
import { budgetFilter, budgetViolation } from '../../engine/cost/budgets';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { costOf, structuralCosts } from '../../engine/cost/objective';
import { buildSearchSpace } from '../../engine/space/space';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';

const teacher = zooTeacher('resnet-mini', 'mnist');
const space = buildSearchSpace(teacher);
const teacherCosts = structuralCosts(teacher);

test('costs: params and MACs from the spec, latency only when measured', () => {
  assert.equal(costOf('params', teacherCosts), teacherCosts.params);
  assert.equal(costOf('macs', teacherCosts), teacherCosts.macs);
  assert.ok(teacherCosts.macs > teacherCosts.params);
  assert.throws(() => costOf('latency', teacherCosts), /no latency recorded/);
  assert.equal(costOf('latency', { ...teacherCosts, latency: { ms: 2, noiseMs: 0.1 } }), 2);
});

test('budgetViolation names the budget a candidate breaks', () => {
  const costs = { params: 1000, macs: 50_000, latency: { ms: 3, noiseMs: 0.1 } };
  const teacherWithLatency = { params: 10_000, macs: 100_000, latency: { ms: 6, noiseMs: 0.1 } };
  const check = (budgets: Partial<typeof DEFAULT_SETTINGS.budgets>, objective: 'params' | 'macs' | 'latency' = 'params') =>
    budgetViolation(costs, teacherWithLatency, { ...DEFAULT_SETTINGS.budgets, ...budgets }, objective);
  assert.equal(check({}), undefined);
  assert.equal(check({ maxParams: 1000, maxMacs: 50_000, maxLatencyMs: 3 }), undefined);
  assert.match(check({ maxParams: 999 })!, /1000 params is over the budget of 999/);
  assert.match(check({ maxMacs: 49_999 })!, /50000 MACs is over/);
  assert.match(check({ maxLatencyMs: 2.5 })!, /latency 3.000 ms is over the budget of 2.5 ms/);
  assert.equal(check({ minRatio: 10 }), undefined, '10x fewer params');
  assert.match(check({ minRatio: 10.5 })!, /10.00x fewer params than the teacher is under the minimum of 10.5x/);
  assert.match(check({ minRatio: 2.5 }, 'macs')!, /2.00x fewer macs/);
  assert.match(check({ minRatio: 2.5 }, 'latency')!, /2.00x faster/);
  assert.equal(budgetViolation({ params: 1000, macs: 1 }, teacherCosts, { ...DEFAULT_SETTINGS.budgets, maxLatencyMs: 0.001 }, 'params'), undefined, 'no latency: not checked');
});

test('no budget, no filter; a latency budget needs a predictor', () => {
  assert.equal(budgetFilter(DEFAULT_SETTINGS.budgets, 'params', teacherCosts), undefined);
  assert.throws(() => budgetFilter({ ...DEFAULT_SETTINGS.budgets, maxLatencyMs: 1 }, 'params', teacherCosts), /latency predictor/);
  assert.throws(() => budgetFilter({ ...DEFAULT_SETTINGS.budgets, minRatio: 2 }, 'latency', teacherCosts), /latency predictor/);
});

test('random proposals never break a budget, and fill up with admitted draws', async () => {
  const budgets = { ...DEFAULT_SETTINGS.budgets, maxParams: Math.round(teacherCosts.params / 4), minRatio: 1.5 };
  const filter = budgetFilter(budgets, 'macs', teacherCosts)!;
  const unfiltered = await randomProposals(space, new Rng(3), 200, new Set());
  const rejected = unfiltered.filter((p) => !filter.admits(p.spec)).length;
  assert.ok(rejected > 20 && rejected < 180, `the budget rejects part of the space (${rejected} of 200)`);
  const proposals = await randomProposals(space, new Rng(3), 200, new Set(), 'random', filter);
  assert.equal(proposals.length, 200, 'rejected draws are replaced');
  assert.equal(new Set(proposals.map((p) => p.key)).size, 200);
  for (const p of proposals) assert.equal(budgetViolation(structuralCosts(p.spec), teacherCosts, budgets, 'macs'), undefined, p.spec.name);
});

test('a budget nothing meets proposes nothing', async () => {
  const filter = budgetFilter({ ...DEFAULT_SETTINGS.budgets, maxParams: 1 }, 'params', teacherCosts)!;
  assert.deepEqual(await randomProposals(space, new Rng(3), 10, new Set(), 'random', filter), []);
});
