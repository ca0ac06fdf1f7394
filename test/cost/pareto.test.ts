import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { costOf, Objective, OBJECTIVES } from '../../engine/cost/objective';
import { paretoFront } from '../../engine/cost/pareto';
import { CandidateEvent, FinetuneEvent, JournalEvent } from '../../engine/run/journal';
import { finalAccuracy, rankCandidates, runFront } from '../../engine/run/report';
import { Rng } from '../../engine/util/rng';

test('the Pareto front keeps the points nothing beats on both accuracy and cost', () => {
  const points = [
    { name: 'a', cost: 100, accuracy: 0.5 },
    { name: 'b', cost: 200, accuracy: 0.7 },
    { name: 'c', cost: 150, accuracy: 0.4 }, // beaten by a
    { name: 'd', cost: 300, accuracy: 0.7 }, // ties b on accuracy at a higher cost
    { name: 'e', cost: 400, accuracy: 0.9 },
    { name: 'f', cost: 100, accuracy: 0.5 }, // equal to a: a comes first
    { name: 'g', cost: 50, accuracy: 0.1 },
  ];
  const front = (ps: typeof points) => paretoFront(ps, (p) => p.cost, (p) => p.accuracy).map((p) => p.name);
  assert.deepEqual(front(points), ['g', 'a', 'b', 'e']);
  assert.deepEqual(front([]), []);
});

/** A journal of `n` candidates with coarse costs and accuracies (so ties happen), some failed, some fine-tuned. */
function randomJournal(rng: Rng, n: number): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (let i = 0; i < n; i++) {
    const ok = rng.next() > 0.15;
    const name = `c${String(i).padStart(3, '0')}`;
    const event: CandidateEvent = {
      type: 'candidate', step: 1 + Math.floor(i / 8), name, key: name, spec: `candidates/${name}.arch.yaml`, action: {}, proposedBy: 'random',
      status: ok ? 'ok' : 'failed', params: 1000 * (1 + Math.floor(rng.next() * 20)), macs: 1e5 * (1 + Math.floor(rng.next() * 20)),
      latency: { ms: 0.1 * (1 + Math.floor(rng.next() * 20)), noiseMs: 0.01 }, seconds: 1,
      ...(ok ? { accuracy: Math.floor(rng.next() * 20) / 20, f: rng.next() } : { reason: 'diverged' }),
    };
    events.push(event);
    if (ok && rng.next() < 0.2) events.push({ type: 'finetune', name, status: 'ok', accuracy: Math.floor(rng.next() * 20) / 20, epochs: 1, seconds: 1 } as FinetuneEvent);
  }
  return events;
}

/** b is dominated by a: a costs no more and is no less accurate, and is better on one. */
const dominates = (a: { cost: number; accuracy: number }, b: { cost: number; accuracy: number }) =>
  a.cost <= b.cost && a.accuracy >= b.accuracy && (a.cost < b.cost || a.accuracy > b.accuracy);

test('the front of a journal is exactly its non-dominated candidates (one of equal points), for every objective', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 30; trial++) {
    const events = randomJournal(rng, 5 + Math.floor(rng.next() * 60));
    for (const objective of OBJECTIVES as readonly Objective[]) {
      const points = rankCandidates(events).map((c) => ({ name: c.event.name, step: c.event.step, cost: costOf(objective, c.event), accuracy: finalAccuracy(c) }));
      const nonDominated = points.filter((p) => !points.some((q) => dominates(q, p)));
      // Of equal points the earliest in the journal stands for them.
      const expected = nonDominated.filter((p) => !nonDominated.some((q) => q.cost === p.cost && q.accuracy === p.accuracy && q.name < p.name));
      const { split, candidates: front } = runFront(events, objective);
      assert.equal(split, 'validation');
      assert.deepEqual(
        front.map((c) => c.event.name).sort(),
        expected.map((p) => p.name).sort(),
        `trial ${trial}, ${objective}`,
      );
      const costs = front.map((c) => costOf(objective, c.event));
      assert.deepEqual(costs, [...costs].sort((a, b) => a - b), 'cheapest first');
    }
  }
});

test('a fine-tuned accuracy is the one the front judges by', () => {
  const base = { type: 'candidate' as const, step: 1, key: 'k', spec: 's', action: {}, proposedBy: 'random', status: 'ok' as const, seconds: 1, f: 0.5 };
  const events: JournalEvent[] = [
    { ...base, name: 'small', params: 100, accuracy: 0.6 },
    { ...base, name: 'large', params: 200, accuracy: 0.7 },
    { type: 'finetune', name: 'small', status: 'ok', accuracy: 0.8, epochs: 1, seconds: 1 },
  ];
  assert.deepEqual(runFront(events, 'params').candidates.map((c) => c.event.name), ['small']);
});

test('with test measurements, the front is exactly the non-dominated set of (cost, test accuracy) of the candidates measured', () => {
  const rng = new Rng(12);
  for (let trial = 0; trial < 30; trial++) {
    const events = randomJournal(rng, 5 + Math.floor(rng.next() * 60));
    const ok = rankCandidates(events);
    const measured = ok.filter(() => rng.next() < 0.4);
    if (measured.length === 0) continue;
    const tests = new Map(measured.map((c) => [c.event.name, Math.floor(rng.next() * 20) / 20]));
    events.push({ type: 'test', name: 'teacher', accuracy: 1, examples: 10, source: 'test' });
    for (const [name, accuracy] of tests) events.push({ type: 'test', name, accuracy, examples: 10, source: 'test' });
    for (const objective of OBJECTIVES as readonly Objective[]) {
      const points = measured.map((c) => ({ name: c.event.name, cost: costOf(objective, c.event), accuracy: tests.get(c.event.name)! }));
      const nonDominated = points.filter((p) => !points.some((q) => dominates(q, p)));
      const expected = nonDominated.filter((p) => !nonDominated.some((q) => q.cost === p.cost && q.accuracy === p.accuracy && q.name < p.name));
      const { split, candidates } = runFront(events, objective);
      assert.equal(split, 'test');
      assert.deepEqual(candidates.map((c) => c.event.name).sort(), expected.map((p) => p.name).sort(), `trial ${trial}, ${objective}`);
      assert.ok(candidates.every((c) => c.accuracy === tests.get(c.event.name)), 'judged by test accuracy');
    }
  }
});
