// The run's progress over all phases, and its estimate from measured rates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';
import { estimate, kernelFitSizes, RunPlan, RunProgress } from '../../engine/search/progress';
import { SearchProgress } from '../../engine/search/search';

const FIT_SIZES = Array.from({ length: 19 }, (_, i) => 8 * (1 + 4 * (i + 1)));
const PLAN: RunPlan = { teacherEpochs: 10, candidates: 160, kernelFits: FIT_SIZES, epochs: 5, concurrency: 2, finetuneEpochs: 30 };
const NOTHING = { teacherEpochs: 0, candidates: 0, kernelFits: 0, finetuneEpochs: 0 };

test('no time left is claimed before anything was timed', () => {
  const e = estimate(PLAN, NOTHING, {});
  assert.equal(e.etaSeconds, undefined);
  assert.equal(e.fraction, 0);
});

test('a timed teacher epoch prices every phase: teacher, candidates (per worker) and fine-tuning', () => {
  const e = estimate(PLAN, { ...NOTHING, teacherEpochs: 2 }, { teacherEpoch: 60 });
  // 8 teacher epochs + 160 candidates x 5 epochs / 2 workers + 30 fine-tuning epochs, a minute each.
  assert.equal(e.etaSeconds, 60 * (8 + 400 + 30));
  assert.ok(Math.abs(e.fraction - 120 / (60 * (10 + 400 + 30))) < 1e-12);
});

test('after the last candidate, fine-tuning still counts: not "less than a minute left"', () => {
  const e = estimate(PLAN, { teacherEpochs: 10, candidates: 160, kernelFits: 19, finetuneEpochs: 3 }, { teacherEpoch: 60, candidate: 200, kernelFit: { perStep: 30, perArchitecture: 0.5 }, finetuneEpoch: 40 });
  assert.equal(e.etaSeconds, 27 * 40);
  assert.ok(e.fraction > 0.9 && e.fraction < 1);
});

test('a run with given teacher weights, timed by its candidates alone, estimates kernel fits and fine-tuning too', () => {
  const plan = { ...PLAN, teacherEpochs: 0 };
  const e = estimate(plan, { ...NOTHING, candidates: 8 }, { candidate: 100 });
  // Candidates 152 x 100 s / 2; kernel fits not timed yet (0); fine-tuning at 100 / 5 s an epoch.
  assert.equal(e.etaSeconds, 152 * 50 + 30 * 20);
});

test('the kernel fits grow with the architectures each step fits on: later steps cost more, and those done are not counted', () => {
  const rates = { teacherEpoch: 60, kernelFit: { perStep: 10, perArchitecture: 0.5 } };
  const all = estimate(PLAN, NOTHING, rates).etaSeconds!;
  const withoutFits = estimate({ ...PLAN, kernelFits: [] }, NOTHING, rates).etaSeconds!;
  const fits = FIT_SIZES.reduce((sum, size) => sum + 10 + 0.5 * size, 0);
  assert.ok(Math.abs(all - withoutFits - fits) < 1e-9, `${all} - ${withoutFits} = ${fits}`);
  const afterTwo = estimate(PLAN, { ...NOTHING, kernelFits: 2 }, rates).etaSeconds!;
  assert.ok(Math.abs(all - afterTwo - (20 + 0.5 * (FIT_SIZES[0] + FIT_SIZES[1]))) < 1e-9);
  assert.ok(FIT_SIZES[18] > FIT_SIZES[0]);
});

test('kernelFitSizes: each BO step after the first, K kernels on the teacher and the bagged earlier candidates; none for random search', () => {
  const settings = { steps: 4, kernels: 8, method: 'bo' as const, subsetProbability: 0.5 };
  assert.deepEqual(kernelFitSizes(settings), [8 * (1 + 4), 8 * (1 + 8), 8 * (1 + 12)]);
  assert.deepEqual(kernelFitSizes({ ...settings, method: 'random' }), []);
  assert.deepEqual(kernelFitSizes({ ...settings, steps: 1 }), []);
});

test('a live run prices its fitting steps left on the line through the steps it fitted: the next, larger step costs more', () => {
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, steps: 4, kernels: 2, epochs: 1, method: 'bo', subsetProbability: 0.5 };
  const sizes = kernelFitSizes(settings);
  assert.deepEqual(sizes, [4, 6, 8]);
  const journal: JournalEvent[] = [];
  const seen: SearchProgress[] = [];
  const progress = new RunProgress(settings, { trainsTeacher: false, finetunes: false }, () => journal, (p) => seen.push(p));
  for (let step = 1; step <= 3; step++) {
    if (step > 1) journal.push({ type: 'kernels', step, files: [], seconds: 1 + 0.5 * sizes[step - 2] });
    for (const k of [1, 2]) journal.push({ type: 'candidate', step, name: `c${step}${k}`, key: `c${step}${k}`, spec: '', action: {}, proposedBy: 'random', status: 'ok', params: 10, accuracy: 0.6, f: 1, seconds: 1 });
  }
  progress.searching('proposing', 4);
  // Two candidates of a second each, and step 4's fit: 1 + 0.5 x 8 seconds.
  assert.ok(Math.abs(seen.at(-1)!.etaSeconds! - (2 + 5)) < 1e-9, String(seen.at(-1)!.etaSeconds));
});

test('RunProgress walks the phases from teacher to done, its share done never falling', () => {
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, steps: 2, kernels: 2, epochs: 1, teacherEpochs: 2, finetuneTop: 1, finetuneEpochs: 2 };
  const journal: JournalEvent[] = [];
  const seen: SearchProgress[] = [];
  const progress = new RunProgress(settings, { trainsTeacher: true, finetunes: true }, () => journal, (p) => seen.push(p));
  const epoch = (n: number) => ({ epoch: n, accuracy: 0.5 + n / 10, imagesPerSecond: 1000 });
  progress.teacherStarts('t', []);
  progress.epochEnded(epoch(1));
  progress.epochEnded(epoch(2));
  journal.push({ type: 'teacher', accuracy: 0.7, params: 100, weights: 'teacher.weights', trained: true, seconds: 2 });
  const candidate = (step: number, name: string, f: number): CandidateEvent => ({ type: 'candidate', step, name, key: name, spec: `${name}.arch.yaml`, action: {}, proposedBy: 'random', status: 'ok', params: 10, accuracy: 0.6, f, seconds: 1 });
  for (const step of [1, 2]) {
    progress.searching('proposing', step);
    if (step === 2) journal.push({ type: 'kernels', step, files: [], seconds: 0.5 });
    progress.searching('evaluating', step);
    for (const k of [1, 2]) {
      journal.push(candidate(step, `c${step}${k}`, step + k / 10));
      progress.searching('evaluating', step);
    }
  }
  progress.finetuneStarts('c22', 1, 1);
  progress.epochEnded(epoch(1));
  progress.epochEnded(epoch(2));
  journal.push({ type: 'finetune', name: 'c22', status: 'ok', accuracy: 0.8, f: 2.5, epochs: 2, seconds: 2 });
  progress.testing();
  progress.done({ name: 'c22', f: 2.5 });

  assert.deepEqual([...new Set(seen.map((p) => p.phase))], ['teacher', 'proposing', 'evaluating', 'finetuning', 'testing', 'done']);
  const teacherEpochs = seen.filter((p) => p.phase === 'teacher').map((p) => p.training?.epoch);
  assert.deepEqual(teacherEpochs, [0, 1, 2]);
  assert.equal(seen.filter((p) => p.phase === 'teacher').at(-1)?.training?.accuracy, 0.7);
  assert.deepEqual(seen.find((p) => p.phase === 'finetuning')?.training, { name: 'c22', epoch: 0, epochs: 2, student: 1, students: 1 });
  const fractions = seen.map((p) => p.fraction);
  fractions.slice(1).forEach((f, i) => assert.ok(f >= fractions[i] - 1e-9, `share done fell from ${fractions[i]} to ${f} (${seen[i + 1].phase})`));
  assert.ok(seen.slice(1, -1).every((p) => p.etaSeconds !== undefined && p.etaSeconds >= 0), 'an estimate once the first epoch was timed');
  const last = seen.at(-1)!;
  assert.deepEqual([last.fraction, last.etaSeconds, last.best, last.bestF, last.evaluated], [1, 0, 'c22', 2.5, 4]);
  assert.equal(seen.filter((p) => p.phase === 'evaluating').at(-1)?.best, 'c22');
});
