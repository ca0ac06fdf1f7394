// Issue 15, class 10: the smaller failures. A damaged run.json is named (and hides no other run),
// old Mac line endings give the right lines, a corrupted frame ends the language server, a
// read-only output folder is said as such, a best candidate whose weights are gone is warned of.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkSpecText } from '../../engine/architecture/validate';
import { CandidateEvent } from '../../engine/run/journal';
import { RunDirectory } from '../../engine/run/run-directory';
import { compress } from '../../engine/search/compress';
import { listRuns } from '../../engine/server/runs';
import { TINY_SEARCH } from '../support/tiny-search';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'esnac.js');
const TEACHER = 'examples/teachers/vgg-mini-mnist.arch.yaml';

let finished: string | undefined;
/** A finished tiny run, made once. */
async function finishedRun(): Promise<string> {
  finished ??= (await compress({ teacherPath: TEACHER, dataset: 'mnist', runDir: join(mkdtempSync(join(tmpdir(), 'esnac-small-')), 'run'), settings: { ...TINY_SEARCH, workers: 1 } })).runDir;
  return finished;
}

test('a run.json missing a field is an error naming it, and the other runs are still listed', async () => {
  const good = await finishedRun();
  const folder = mkdtempSync(join(tmpdir(), 'esnac-runs-'));
  cpSync(good, join(folder, 'good'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(good, 'run.json'), 'utf8')) as Record<string, unknown>;
  const damaged: Array<[string, (m: Record<string, unknown>) => void, RegExp]> = [
    ['no-created', (m) => delete m.createdAt, /"createdAt" \(string\) missing/],
    ['no-teacher', (m) => delete m.teacher, /"teacher\.name" \(string\), "teacher\.spec" \(string\) missing/],
    ['settings-text', (m) => (m.settings = 'fast'), /"settings" \(object\)/],
    ['no-steps', (m) => delete (m.settings as Record<string, unknown>).steps, /"settings\.steps" \(number\) missing/],
    ['null', (m) => Object.keys(m).forEach((k) => delete m[k]), /unknown run format/],
  ];
  for (const [name, damage, message] of damaged) {
    const dir = join(folder, name);
    mkdirSync(dir);
    const copy = structuredClone(manifest);
    damage(copy);
    writeFileSync(join(dir, 'run.json'), JSON.stringify(copy));
    assert.throws(() => RunDirectory.open(dir), message, name);
  }
  const listed = listRuns([folder], () => false);
  assert.deepEqual(listed.runs.map((r) => r.runDir), [join(folder, 'good')]);
  assert.equal(listed.unreadable.length, damaged.length);
});

test('every line ending (\\n, \\r\\n, old Mac \\r) puts a problem on its own line', () => {
  const lines = ['format: esnac.architecture/v1', 'name: endings', 'input: {channels: 1, height: 8, width: 8}', 'classes: 10', 'layers:', '  - {id: gap, type: globalavgpool}', '  - {id: fc, type: linear, out: 10, kernel: 3}'];
  for (const eol of ['\n', '\r\n', '\r']) {
    const { problems } = checkSpecText(lines.join(eol), 'endings.arch.yaml');
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].range.start.line, 6, `${JSON.stringify(eol)}: ${problems[0].message}`);
  }
});

test('a corrupted frame on the language server\'s input ends it, so the client starts a new one', async () => {
  for (const garbage of ['Content-Length: nope\r\n\r\n{}', 'Hello: there\r\n\r\n', 'Content-Length: 5\r\n\r\n{not}']) {
    const server = spawn(process.execPath, [CLI, 'serve', '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    server.stdin.write(garbage);
    const code = await Promise.race([exited, new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 20_000))]);
    if (code === 'alive') server.kill();
    assert.equal(code, 1, `${JSON.stringify(garbage)}: ${stderr}`);
    assert.match(stderr, /unreadable input/);
  }
});

test('a read-only output folder is said to be read-only, in one line', (t) => {
  if (process.getuid?.() !== 0) return t.skip('a read-only mount needs root (CI runs as root)');
  const mountPoint = mkdtempSync(join(tmpdir(), 'esnac-ro-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
  try {
    for (const output of [join(mountPoint, 'run'), join(mountPoint, 'deeper', 'run')]) {
      const r = spawnSync(process.execPath, [CLI, 'compress', TEACHER, '--dataset', 'mnist', '--limit-train', '64', '--limit-validation', '32', '-o', output], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^esnac: EROFS: read-only file system/m);
      assert.doesNotMatch(r.stderr, /ENOENT|internal error/);
    }
  } finally {
    spawnSync('umount', [mountPoint]);
  }
});

test('resuming a run whose best candidate lost its weights warns, instead of ending as if all were written', async () => {
  const run = join(mkdtempSync(join(tmpdir(), 'esnac-lost-')), 'run');
  cpSync(await finishedRun(), run, { recursive: true });
  const best = RunDirectory.open(run).journal.read().find((e): e is CandidateEvent => e.type === 'candidate' && e.name === JSON.parse(JSON.stringify(RunDirectory.open(run).journal.read().at(-1))).best)!;
  rmSync(join(run, 'best.weights'), { recursive: true });
  rmSync(join(run, best.weights!), { recursive: true });
  const logs: string[] = [];
  await compress({ resume: run }, { log: (m) => logs.push(m) });
  assert.ok(logs.some((m) => /warning: the weights of .* are gone, so the run has no best\.weights/.test(m)), logs.join('\n'));
});
