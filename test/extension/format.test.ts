// The words shown for search progress and engine state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JournalEvent, RunSummary, SearchProgressParams } from '../../protocol';
import { bestStudent } from '../../engine/run/report';
import { accessibleLabel, bestSummary, diffTitle, engineDescription, errorHeadline, etaText, progressFraction, progressLong, progressMessage, progressShort, runItemText } from '../../extension/format';

const progress: SearchProgressParams = { runDir: '/r', phase: 'evaluating', step: 3, steps: 20, evaluated: 17, total: 160, bestF: 0.91234, best: 'c17', fraction: 0.4267, etaSeconds: 725 };
const teacher: SearchProgressParams = { ...progress, phase: 'teacher', step: 0, evaluated: 0, bestF: undefined, best: undefined, fraction: 0.05, training: { name: 'vgg', epoch: 3, epochs: 10, accuracy: 0.9712, imagesPerSecond: 1234.4 } };

test('progress: share done, phase, best reward and time left, by phase', () => {
  assert.equal(progressMessage(progress), '42% · step 3/20: 17/160 candidates evaluated · best f 0.912 (c17) · about 12 min left');
  assert.equal(progressMessage({ ...progress, phase: 'proposing', bestF: undefined, best: undefined, etaSeconds: undefined }), '42% · step 3/20: fitting the kernels');
  assert.equal(progressMessage({ ...progress, phase: 'proposing', step: 1, bestF: undefined, etaSeconds: undefined }), '42% · step 1/20: drawing random candidates');
  assert.equal(progressMessage(teacher), '5% · training the teacher: epoch 3/10, validation 97.1%, 1,234 img/s · about 12 min left');
  assert.equal(
    progressMessage({ ...progress, phase: 'finetuning', training: { name: 'c17', epoch: 1, epochs: 10, student: 2, students: 3 } }),
    '42% · fine-tuning c17 (2/3): epoch 1/10 · best f 0.912 (c17) · about 12 min left',
  );
  assert.match(progressMessage({ ...progress, phase: 'testing' }), /^42% · measuring on the held-out test split · /);
  assert.equal(progressShort(progress), '42% · 17/160 · f 0.912');
  assert.equal(progressShort(teacher), '5% · teacher 3/10');
  assert.equal(progressShort(undefined), 'starting');
  assert.equal(progressLong(teacher), '5% done, training the teacher: epoch 3/10, validation 97.1%, 1,234 img/s, about 12 min left');
});

test("Runs view: another process's run shows the progress it keeps like this window's own; asked to stop, 'stopping'; others their counts", () => {
  const { runDir: _, ...snapshot } = progress;
  const run: RunSummary = { runDir: '/w/esnac-runs/vgg-1', teacher: 'vgg', dataset: 'mnist', createdAt: '2026-12-06T12:00:00Z', status: 'running', evaluated: 17, total: 160 };
  const elsewhere = runItemText({ ...run, progress: snapshot }, undefined);
  const here = runItemText(run, { progress, stopping: false });
  assert.equal(elsewhere.description, here.description);
  assert.equal(elsewhere.description, '42% · 17/160 · f 0.912');
  assert.match(elsewhere.tooltip, /\nrunning in another process: 42% done, step 3\/20: 17\/160 candidates evaluated, best f 0\.912 \(c17\), about 12 min left\n/);
  assert.match(here.tooltip, /\nrunning in this window: 42% done/);
  assert.equal(runItemText({ ...run, progress: snapshot }, undefined, true).description, 'stopping');
  assert.equal(runItemText(run, { progress, stopping: true }).description, 'stopping');
  assert.equal(runItemText(run, undefined).description, 'running · 17/160 evaluated', 'held elsewhere, no progress recorded yet');
  assert.equal(runItemText({ ...run, status: 'stopped' }, undefined).description, 'stopped · 17/160 evaluated');
});

test('progress fraction stays within 0..1', () => {
  assert.equal(progressFraction(progress), 0.4267);
  assert.equal(progressFraction({ ...progress, fraction: 1.2 }), 1);
  assert.equal(progressFraction({ ...progress, fraction: Number.NaN }), 0);
});

test('the status item reads to a screen reader as words: no icon names, no Markdown escapes', () => {
  assert.equal(accessibleLabel('$(loading~spin) esnac: 5% · teacher 3/10', ['Compressing vgg: 5% done, training the teacher (epoch 3/10)']), 'esnac: 5% · teacher 3/10. Compressing vgg: 5% done, training the teacher (epoch 3/10)');
});

test('time left', () => {
  assert.equal(etaText(undefined), undefined);
  assert.equal(etaText(Number.NaN), undefined);
  assert.equal(etaText(59), 'less than a minute left');
  assert.equal(etaText(89 * 60), 'about 89 min left');
  assert.equal(etaText(3 * 3600), 'about 3.0 h left');
});

test('best student, diff title, engine description, error headline', () => {
  assert.equal(bestSummary({ name: 'c4', spec: '/r/best.arch.yaml', f: 0.9, accuracy: 0.9812, params: 123456 }), 'best student c4: validation accuracy 98.1% (no test accuracy), 123K params, f 0.900');
  assert.equal(diffTitle('resnet18', 'resnet18-c4'), 'resnet18 → resnet18-c4');
  const info = { esnacVersion: '0.1.0', nodeVersion: 'v20.1.0', backend: { name: 'wasm' as const, detail: 'wasm (SIMD)', tfjsVersion: '4.22.0', skipped: [{ name: 'tensorflow', reason: 'not installed' }] } };
  assert.deepEqual(engineDescription(info), ['esnac 0.1.0 on Node v20.1.0', 'backend: wasm (SIMD) (tfjs 4.22.0)', 'tensorflow not used: not installed']);
  assert.deepEqual(engineDescription({ esnacVersion: '0.1.0', nodeVersion: 'v20', error: 'no wasm' }), ['esnac 0.1.0 on Node v20', 'no backend: no wasm']);
  assert.equal(errorHeadline(new Error('Request failed: boom\n    at x')), 'Request failed: boom');
});

test("the finished search's message leads with the test measurement of a run's journal", () => {
  // The journal of a finished run, as the engine writes it; the message reads the result the engine builds from it.
  const events: JournalEvent[] = [
    { type: 'teacher', accuracy: 0.99, params: 1_000_000, weights: 'teacher.weights', trained: false, seconds: 1 },
    { type: 'candidate', step: 1, name: 'c4', key: 'k', spec: 'candidates/c4.arch.yaml', action: {}, proposedBy: 'random', status: 'ok', params: 125_000, accuracy: 0.9512, f: 0.9, seconds: 1, weights: 'candidates/c4.weights' },
    { type: 'test', name: 'teacher', accuracy: 0.9841, examples: 10_000, source: 't10k files' },
    { type: 'test', name: 'c4', accuracy: 0.9733, examples: 10_000, weights: 'search', source: 't10k files' },
    { type: 'done', best: 'c4', bestSpec: 'best.arch.yaml', f: 0.9, bestWeights: 'search', bestValidationAccuracy: 0.9512 },
  ];
  const best = bestStudent(events, () => '/r/best.arch.yaml')!;
  assert.deepEqual(best.test, { accuracy: 0.9733, teacher: 0.9841, examples: 10_000, source: 't10k files' });
  assert.equal(bestSummary(best), 'best student c4: test accuracy 97.3% (teacher 98.4%), 125K params (8.0x smaller); search validation accuracy 95.1%');
});
