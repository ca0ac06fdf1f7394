// The held-out test split is read once, at the end, and the headline everywhere is what that read
// measured. Instrumented: the test images are unreadable bytes for the whole search (so any
// earlier reader, in any thread, would fail or skip them) and become real images only when the
// run announces the final measurement.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { TestEvent } from '../../engine/run/journal';
import { runFront, validationFront } from '../../engine/run/report';
import { compress } from '../../engine/search/compress';
import { TINY_SEARCH } from '../support/tiny-search';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const COLOURS = ['red', 'green', 'blue'];
const TEACHER = `format: esnac.architecture/v1
name: colours
input: {channels: 3, height: 12, width: 12}
classes: 3
layers:
  - {id: conv1, type: conv, in: 3, out: 8, kernel: 3, padding: 1}
  - {id: relu1, type: relu}
  - {id: pool1, type: maxpool, kernel: 2}
  - {id: conv2, type: conv, in: 8, out: 8, kernel: 3, padding: 1}
  - {id: relu2, type: relu}
  - {id: pool2, type: maxpool, kernel: 2}
  - {id: flat, type: flatten}
  - {id: fc, type: linear, in: 72, out: 3}
`;

/** A noisy image whose class is its strongest channel; sizes vary so every image is resized. */
async function image(colour: number, i: number): Promise<Buffer> {
  const [w, h] = [14 + (i % 5) * 3, 13 + (i % 3) * 4];
  const pixels = Buffer.alloc(w * h * 3);
  for (let k = 0; k < w * h; k++) for (let c = 0; c < 3; c++) pixels[k * 3 + c] = ((k * 7 + i * 13 + c * 29) % 90) + (c === colour ? 120 : 0);
  return sharp(pixels, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

test('the test split is read only by the final measurement; the CLI, report.md and the result lead with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-test-split-'));
  const data = join(dir, 'images');
  const held: { file: string; bytes: Buffer }[] = [];
  for (const [c, name] of COLOURS.entries()) {
    mkdirSync(join(data, 'train', name), { recursive: true });
    mkdirSync(join(data, 'test', name), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(data, 'train', name, `${i}.png`), await image(c, i));
    for (let i = 0; i < 8; i++) held.push({ file: join(data, 'test', name, `${i}.png`), bytes: await image(c, 100 + i) });
  }
  for (const { file } of held) writeFileSync(file, 'not an image until the final measurement');
  const teacherPath = join(dir, 'colours.arch.yaml');
  writeFileSync(teacherPath, TEACHER);

  const logs: string[] = [];
  let revealedAt = -1;
  const settings = { ...TINY_SEARCH, limitTrain: 0, limitValidation: 0, teacherEpochs: 3, steps: 1, kernels: 2, finetuneTop: 1, finetuneEpochs: 1, workers: 2 };
  const runDir = join(dir, 'run');
  const result = await compress({ teacherPath, dataset: `folder:${data}`, runDir, settings }, {
    log: (line) => {
      logs.push(line);
      if (revealedAt < 0 && /held-out test split/.test(line)) {
        revealedAt = logs.length;
        for (const { file, bytes } of held) writeFileSync(file, bytes);
      }
    },
  });
  assert.ok(revealedAt > 0, 'the final measurement was announced');
  assert.ok(!logs.some((l) => /unreadable|test\//.test(l) && !/test\/ is the test set|images of test\//.test(l)), logs.join('\n'));
  const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(journal.filter((e) => e.type === 'candidate').every((e) => e.status === 'ok'), 'no candidate met the unreadable test images');
  const tests = journal.filter((e): e is TestEvent => e.type === 'test');
  assert.deepEqual(tests.map((e) => e.examples), tests.map(() => held.length), 'every test image was read, so after it became an image');
  const firstTest = journal.findIndex((e) => e.type === 'test');
  assert.ok(journal.slice(firstTest).every((e) => e.type === 'test' || e.type === 'done'), 'the test events close the journal');

  const best = result.best!;
  const student = tests.find((e) => e.name === best.name)!;
  const teacher = tests.find((e) => e.name === 'teacher')!;
  assert.deepEqual(best.test, { accuracy: student.accuracy, teacher: teacher.accuracy, examples: held.length, source: student.source });
  const report = readFileSync(join(runDir, 'report.md'), 'utf8');
  const lead = report.split('\n').find((l) => l.startsWith('**'))!;
  assert.ok(lead.includes(`test accuracy ${pct(student.accuracy)} (teacher ${pct(teacher.accuracy)}, ${held.length} held-out examples)`), lead);
  // The front: every candidate of the validation front measured on the test split, the front drawn against that.
  const validation = validationFront(journal, 'params').map((c) => c.event.name);
  assert.ok(validation.every((name) => tests.some((e) => e.name === name)), 'the validation front was measured on the test split');
  const front = runFront(journal, 'params');
  assert.equal(front.split, 'test');
  assert.match(report, /## Pareto front: params against test accuracy/);
  for (const c of front.candidates) assert.ok(report.includes(`| ${c.event.name} | `) && report.includes(`| ${pct(c.accuracy)} | pareto/${c.event.name}.arch.yaml |`), c.event.name);
  assert.deepEqual(readdirSync(join(runDir, 'pareto')).sort(), front.candidates.map((c) => `${c.event.name}.arch.yaml`).sort());
  assert.deepEqual(result.front, front.candidates.map((c) => c.event.name));

  // The CLI on the same data (its test images now readable): its last line is the same measurement.
  const cliRun = join(dir, 'cli-run');
  const cli = spawnSync(process.execPath, [CLI, 'compress', teacherPath, '--dataset', `folder:${data}`, '-o', cliRun, '--steps', '1', '--kernels', '2', '--epochs', '1', '--teacher-epochs', '3', '--finetune-top', '1', '--finetune-epochs', '1', '--acquisition-samples', '20', '--kernel-steps', '3'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const lastLine = cli.stdout.trim().split('\n').at(-1)!;
  const cliTests = readFileSync(join(cliRun, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e): e is TestEvent => e.type === 'test');
  const done = JSON.parse(readFileSync(join(cliRun, 'journal.jsonl'), 'utf8').trim().split('\n').at(-1)!);
  const cliStudent = cliTests.find((e) => e.name === done.best)!;
  const cliTeacher = cliTests.find((e) => e.name === 'teacher')!;
  assert.match(lastLine, new RegExp(`^best student ${done.best}: test accuracy ${pct(cliStudent.accuracy).replace('.', '\\.')} \\(teacher ${pct(cliTeacher.accuracy).replace('.', '\\.')}, ${held.length} held-out examples\\)`));
  assert.match(lastLine, /search validation accuracy \d+\.\d\d%/);
});
