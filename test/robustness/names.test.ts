// Issue 15, classes 1 and 2: a spec's name is display text. Whatever it holds (control
// characters, quotes, slashes, dots, 1,000 characters, unicode), it never runs as code (exported
// PyTorch, a shell line), never breaks report.md, and never names a path: every file lands in
// the folder the user chose.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { initBackend } from '../../engine/backend';
import { sampleToFolder } from '../../engine/cli/sample';
import { CommandTemplate } from '../../engine/evaluation/command';
import { decodeOnnx, encodeOnnx } from '../../engine/interop/onnx-codec';
import { exportOnnx } from '../../engine/interop/onnx-export';
import { exportPytorch } from '../../engine/interop/pytorch-export';
import { disposeWeights, initialWeights } from '../../engine/model/weights';
import { CandidateEvent, JournalEvent } from '../../engine/run/journal';
import { renderReport } from '../../engine/run/report';
import { defaultRunDirectory, RUN_FORMAT, RunManifest } from '../../engine/run/run-directory';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { compress } from '../../engine/search/compress';
import { loadSpecFile } from '../../engine/architecture/validate';
import { specToText } from '../../engine/architecture/write';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { fileStem } from '../../engine/util/file-name';
import { Rng } from '../../engine/util/rng';
import { PYTHON, skipReason } from '../interop/python';
import { TINY_SEARCH } from '../support/tiny-search';

const TEACHER = 'examples/teachers/vgg-mini-mnist.arch.yaml';

/** Names a hostile spec could carry: each class of trouble alone, then random mixtures. */
function hostileNames(count: number, seed: number): string[] {
  const named = [
    "x\nimport os; os.system('touch PWNED')\n#",
    'x"""\nimport os\n"""',
    'back\\slash\\N{x}\\x',
    '../../escaped',
    '/etc/passwd',
    'resnet/mini',
    '..',
    '.',
    '-rf',
    'a'.repeat(300),
    'n'.repeat(1000),
    'nul\0byte',
    '$(touch PWNED)`touch PWNED`',
    "quote'\"both",
    '| a | b |\n|---|',
    '<script>alert(1)</script>*bold* [link](x)',
    'mini\u2028line\u202eevil\u0085',
    'ネット😀',
    'CON',
    ' spaced ',
  ];
  const pieces = ['\0', '\n', '\r', '\t', '\x1b[31m', '"', "'", '`', '$(', ')', '/', '\\', '..', '.', '|', '#', '{name}', '%s', 'é', '😀', '\u2028', 'ab', 'Z9'];
  const rng = new Rng(seed);
  const random = Array.from({ length: count }, () => {
    const n = rng.int(1, 12);
    let name = Array.from({ length: n }, () => pieces[rng.int(0, pieces.length - 1)]).join('');
    if (rng.bernoulli(0.15)) name = name.padEnd(1000, 'x');
    return name;
  });
  return [...named, ...random];
}

/** Every file and folder under `root`, relative to it. */
function allFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).map((p) => p);
}

async function teacherNamed(name: string): Promise<ArchitectureSpec> {
  return { ...(await loadSpecFile(TEACHER)), name };
}

/** The rows of report.md's tables, each checked to have its header's cells whatever the names hold. */
function tableRows(report: string): string[] {
  const cells = (row: string) => row.replace(/\\\\|\\\|/g, '').split('|').length;
  const lines = report.split('\n');
  const rows = lines.filter((l) => l.startsWith('|'));
  lines.forEach((row, i) => {
    if (!row.startsWith('|')) return;
    let header = i;
    while (header > 0 && lines[header - 1].startsWith('|')) header--;
    assert.equal(cells(row), cells(lines[header]), `a name makes no extra cell: ${row}`);
  });
  return rows;
}

test('file stems are plain, short, and distinct for distinct names', () => {
  const names = hostileNames(300, 1);
  const stems = names.map(fileStem);
  for (const [i, stem] of stems.entries()) {
    assert.match(stem, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, `stem of ${JSON.stringify(names[i])}`);
    assert.ok(stem.length <= 80 && !stem.includes('..'), stem);
  }
  assert.equal(new Set(stems).size, new Set(names).size);
  assert.equal(fileStem('vgg-mini-mnist-c1a2b3c4'), 'vgg-mini-mnist-c1a2b3c4', 'plain names keep their file names');
});

test('hostile names survive sample, PyTorch and ONNX export and report.md, and never run', async (t) => {
  await initBackend('cpu');
  const names = hostileNames(25, 2);
  const root = mkdtempSync(join(tmpdir(), 'esnac-names-'));
  const modules = join(root, 'modules');
  mkdirSync(modules);
  const imports: { file: string; name: string }[] = [];
  for (const [i, name] of names.entries()) {
    const spec = await teacherNamed(name);
    const teacherFile = join(root, `teacher-${i}.arch.json`);
    writeFileSync(teacherFile, specToText(spec, 'json'));
    assert.equal((await loadSpecFile(teacherFile)).name, name, 'the name reads back as written');

    const out = join(root, `sample-${i}`);
    await sampleToFolder(teacherFile, { n: 2, seed: 0, output: out, removal: true, shrink: true, skip: true });
    const written = readdirSync(out);
    assert.equal(written.length, 2, `sample wrote its two candidates inside ${out}: ${written.join(', ')}`);
    for (const file of written) assert.ok((await loadSpecFile(join(out, file))).name.startsWith(name));

    const weights = initialWeights(spec, new Rng(i));
    try {
      const py = exportPytorch(spec, weights, 'w.safetensors');
      const file = join(modules, `m${i}.py`);
      writeFileSync(file, py.source);
      writeFileSync(join(modules, 'w.safetensors'), py.weights!);
      imports.push({ file, name });
      const onnx = decodeOnnx(encodeOnnx(exportOnnx(spec, weights)), 'export');
      assert.equal(onnx.graph.name, name);
    } finally {
      disposeWeights(weights);
    }

    const report = renderReport(manifestFor(name), eventsFor(name));
    // Candidates: header, rule, teacher, 2 rows; the Pareto front (the two tie): header, rule, 1 row.
    assert.equal(tableRows(report).length, 8, `report.md of ${JSON.stringify(name)} keeps one row per line:\n${report}`);
    assert.doesNotMatch(report, /[\0\r\u2028]|(?<!\\)<script/);
  }
  const outside = allFiles(root).filter((p) => !/^(modules|sample-\d+|teacher-\d+\.arch\.json)(\/|$)/.test(p));
  assert.deepEqual(outside, [], 'nothing was written outside the chosen folders');

  if (skipReason) return t.diagnostic(`PyTorch import not checked: ${skipReason}`);
  const check = `
import importlib.util, json, sys, os
for entry in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location('m', entry['file'])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build()
print('ok')
`;
  const r = spawnSync(PYTHON, ['-c', check, JSON.stringify(imports)], { cwd: modules, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(join(modules, 'PWNED')), false, 'no name ran as code');
  assert.equal(allFiles(modules).filter((f) => !/^m\d+\.py$|^w\.safetensors$|^__pycache__/.test(f)).length, 0);
});

test('a shell evaluator quotes every value and refuses placeholders written inside quotes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-shell-'));
  const name = "$(touch PWNED)`touch PWNED`'\"; touch PWNED #";
  for (const quoted of ['echo "{name}"', "echo '{name}'", 'echo "x {spec} y"', 'echo "$(cat {out})"']) {
    assert.throws(() => new CommandTemplate(quoted, true), /inside .* quotes/, quoted);
  }
  for (const fine of ['echo {name} > seen', 'echo \\"{name} > seen', "echo '{' {name} > seen"]) {
    const [line] = new CommandTemplate(fine, true).argvFor({ name });
    const r = spawnSync('/bin/sh', ['-c', line], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(dir, 'PWNED')), false, fine);
    assert.match(readFileSync(join(dir, 'seen'), 'utf8'), /touch PWNED #/);
  }
});

test('compress with a hostile teacher name keeps every file inside esnac-runs and reports it', async () => {
  const name = "../../escaped\n| x |$(touch PWNED)/" + 'é'.repeat(300);
  const root = mkdtempSync(join(tmpdir(), 'esnac-names-run-'));
  const teacherFile = join(root, 'teacher.arch.json');
  writeFileSync(teacherFile, specToText(await teacherNamed(name), 'json'));
  const result = await compress({ teacherPath: teacherFile, dataset: 'mnist', workspaceRoot: root, settings: { ...TINY_SEARCH, workers: 1 } });
  assert.equal(relative(join(root, 'esnac-runs'), result.runDir).includes('/'), false, `the run is directly in esnac-runs: ${result.runDir}`);
  assert.deepEqual(readdirSync(root).sort(), ['esnac-runs', 'teacher.arch.json']);
  assert.ok(result.best?.name.startsWith(name));
  const report = readFileSync(join(result.runDir, 'report.md'), 'utf8');
  assert.ok(tableRows(report).length >= 4, report);
  // Resuming finds the same files.
  assert.equal((await compress({ resume: result.runDir })).best?.name, result.best?.name);
  assert.equal(defaultRunDirectory(root, name, new Date(0)).startsWith(join(root, 'esnac-runs') + '/'), true);
});

/** A run.json whose every text report.md shows holds `name` (an edited run folder is a file too). */
function manifestFor(name: string): RunManifest {
  return {
    format: RUN_FORMAT,
    createdAt: '2026-01-01T00:00:00Z',
    teacher: { name, spec: 'teacher.arch.yaml', source: '/x' },
    dataset: name,
    settings: { ...DEFAULT_SETTINGS, method: name as 'bo', augment: name as 'none' },
    backend: 'cpu',
    versions: { evaluatorUsed: 'pytorch', torch: name },
  };
}

function eventsFor(name: string): JournalEvent[] {
  const candidate = (suffix: string, f: number): CandidateEvent => ({
    type: 'candidate', step: 1, name: `${name}-${suffix}`, key: suffix, spec: 'candidates/x.arch.yaml', action: {}, proposedBy: 'random', status: 'ok', params: 100, accuracy: 0.5, f, seconds: 1,
  });
  return [{ type: 'teacher', accuracy: 0.9, params: 1000, weights: 'teacher.weights', trained: true, seconds: 1 }, candidate('c1', 0.5), candidate('c2', 0.4)];
}

test('what the CLI prints from a hostile file reaches the terminal inert: no escape sequence, carriage return or override, JSON still JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-terminal-'));
  const teacher = readFileSync(TEACHER, 'utf8');
  // Raw control and format characters a terminal acts on (C0 but \n and \t, DEL, C1, separators, bidi).
  const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', ...args], { encoding: 'utf8' });
  const values = (v: unknown): unknown[] => (typeof v === 'object' && v !== null ? Object.values(v).flatMap(values) : [v]);
  for (const [k, name] of hostileNames(6, 7).filter((n) => RAW.test(n)).slice(0, 3).entries()) {
    const file = join(dir, `t${k}.arch.yaml`);
    writeFileSync(file, teacher.replace(/^name: .*$/m, `name: ${JSON.stringify(name)}`));
    const bad = join(dir, `bad${k}.arch.yaml`);
    // The same text where the file's values come back in messages: a layer type, a property name, a layer id.
    writeFileSync(bad, teacher.replace(/^layers:\n/m, `layers:\n  - {id: ${JSON.stringify(`x${name}`)}, type: ${JSON.stringify(name)}, ${JSON.stringify(name)}: 1}\n`));
    const runs = [cli('stats', file), cli('validate', file, bad), cli('sample', file, '-n', '1', '-o', join(dir, `out${k}`))];
    for (const r of runs) {
      assert.doesNotMatch(r.stdout + r.stderr, RAW, JSON.stringify(r.stdout + r.stderr));
      assert.doesNotMatch(r.stderr, /internal error/);
    }
    assert.match(runs[1].stdout, /unknown layer type '.*\\u00|unknown layer type '.*\\u20/, 'the value shows, escaped');
    const json = cli('diff', file, TEACHER, '--json');
    assert.equal(json.status, 0, json.stderr);
    assert.doesNotMatch(json.stdout, RAW);
    assert.ok(values(JSON.parse(json.stdout)).includes(name), 'JSON output decodes to the name itself');
  }
});
