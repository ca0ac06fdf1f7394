// Malformed input: every rule gives a clear problem with a position, never an exception or a hang.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MAX_NESTING, MAX_SPEC_BYTES, parseSource } from '../../engine/architecture/source';
import { checkSpecText } from '../../engine/architecture/validate';
import { Rng } from '../../engine/util/rng';

const FIXTURES = join(__dirname, 'fixtures');
const MALFORMED = join(FIXTURES, 'malformed');

/** The problems of a fixture as `LINE:COL message` (1-based), as the CLI prints them. */
function problemsOf(text: string | Uint8Array, fileName: string): string[] {
  return checkSpecText(text, fileName).problems.map((p) => `${p.range.start.line + 1}:${p.range.start.column + 1} ${p.message}`);
}

function fixtureProblems(name: string): string[] {
  return problemsOf(readFileSync(join(MALFORMED, name)), name);
}

function assertHas(problems: string[], position: string, pattern: RegExp): void {
  assert.ok(
    problems.some((p) => p.startsWith(`${position} `) && pattern.test(p)),
    `expected a problem at ${position} matching ${pattern}; got:\n${problems.join('\n')}`,
  );
}

describe('malformed fixtures', () => {
  const cases: [file: string, position: string, pattern: RegExp][] = [
    ['missing-comma.arch.json', '4:3', /expected ','/],
    ['unclosed-flow.arch.yaml', '4:1', /the mapping opened with '\{' is not closed with '\}'/],
    ['trailing-comma.arch.json', '4:32', /trailing comma/],
    ['comment.arch.json', '2:3', /comments are not allowed in JSON/],
    ['duplicate-key.arch.json', '4:3', /duplicate key 'name' \(first defined on line 3\)/],
    ['duplicate-key.arch.yaml', '4:1', /duplicate key 'name'/],
    ['wrong-types.arch.json', '4:25', /input\.channels must be an integer/],
    ['wrong-types.arch.json', '6:64', /bias of layer 'fc' must be true or false/],
    ['wrong-types.arch.yaml', '3:19', /input\.channels must be an integer/],
    ['wrong-types.arch.yaml', '9:11', /bias of layer 'fc' must be true or false/],
    ['empty.arch.json', '1:1', /the file is empty/],
    ['empty.arch.yaml', '1:1', /the file is empty/],
    ['not-an-object.arch.json', '1:1', /the spec must be an object/],
    ['not-an-object.arch.yaml', '1:1', /the spec must be an object/],
    ['two-documents.arch.yaml', '3:1', /one YAML document/],
    ['alias-bomb.arch.yaml', '4:8', /alias bomb/],
    ['unknown-alias.arch.yaml', '3:14', /unknown YAML alias \*m: no &m anchor before it/],
    ['unknown-property.arch.json', '4:3', /unknown property 'extra'/],
    ['unknown-property.arch.yaml', '3:43', /input has an unknown property 'depth' \(allowed: channels, height, width\)/],
  ];
  for (const [file, position, pattern] of cases) {
    test(`${file}: ${pattern.source}`, () => assertHas(fixtureProblems(file), position, pattern));
  }

  test('YAML syntax errors in plain words at their line and column, the parser\'s words kept as the detail', () => {
    const cases: [text: string, position: string, plain: RegExp, parser: RegExp][] = [
      ['name: a: b\n', '1:7', /two keys on one line/, /Nested mappings are not allowed in compact mappings/],
      ['layers:\n  - id: a\n      type: conv\n', '2:9', /the next line is indented further than this key/, /Nested mappings/],
      ['layers:\n  - id: a\n   type: conv\n', '3:1', /indented between a list item and its keys/, /Sequence item without - indicator/],
      ['name: "abc\n', '2:1', /the quoted text is not closed/, /Missing closing/],
      ['layers:\n\t- id: a\n', '2:1', /indent with spaces/, /Tabs are not allowed/],
      ['layers:\n- id: c\n  out 4\n', '3:3', /a key without ':' after it/, /Implicit map keys need to be followed by map values/],
    ];
    for (const [text, position, plain, parser] of cases) {
      const { problems } = parseSource(text, 'x.arch.yaml');
      const first = problems[0];
      assert.equal(`${first.range.start.line + 1}:${first.range.start.column + 1}`, position, text);
      assert.match(first.message, plain, text);
      assert.match(first.detail ?? '', parser, text);
      assert.doesNotMatch(first.message, /mapping(s)? (are|is) not allowed|implicit|indicator/i, 'no parser jargon');
    }
  });

  test('syntax errors stop before the schema: one problem, no spec', () => {
    const result = checkSpecText(readFileSync(join(MALFORMED, 'missing-comma.arch.json')), 'x.arch.json');
    assert.equal(result.spec, undefined);
    assert.equal(result.problems.length, 1);
  });
});

describe('generated malformed input', () => {
  for (const ext of ['json', 'yaml']) {
    test(`a 10 MB .${ext} file is refused before parsing`, () => {
      const big = new Uint8Array(10 * 1024 * 1024).fill(0x20);
      assert.deepEqual(problemsOf(big, `big.arch.${ext}`), [`1:1 the file is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MB, the limit for spec files`]);
      assert.equal(problemsOf(' '.repeat(MAX_SPEC_BYTES + 1), `big.arch.${ext}`).length, 1);
    });

    test(`non-UTF-8 bytes in a .${ext} file are located`, () => {
      const text = ext === 'json' ? '{\n  "name": "caf' : 'format: x\nname: caf';
      const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0xe9, 0x22, 0x0a])]);
      // The invalid byte follows `caf` on line 2.
      const column = text.length - text.lastIndexOf('\n');
      assert.deepEqual(problemsOf(bytes, `x.arch.${ext}`), [`2:${column} the file is not valid UTF-8 text (save it as UTF-8)`]);
    });

    test(`deep nesting in a .${ext} file is refused at the level that passes the limit`, () => {
      const deep = 'a: 1\nb: ' + '['.repeat(1_000_000);
      const problems = problemsOf(ext === 'json' ? `{"b": ${'['.repeat(1_000_000)}` : deep, `x.arch.${ext}`);
      const column = ext === 'json' ? 7 + MAX_NESTING - 1 : 4 + MAX_NESTING;
      assert.deepEqual(problems, [`${ext === 'json' ? 1 : 2}:${column} the document nests more than ${MAX_NESTING} levels deep`]);
    });
  }

  test('deep block nesting in YAML is refused too', () => {
    const dashes = '- '.repeat(200_000) + '1\n';
    const indented = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    assert.match(problemsOf(dashes, 'x.arch.yaml')[0], /^1:\d+ the document nests more than/);
    assert.match(problemsOf(indented, 'x.arch.yaml')[0], /^\d+:\d+ the document nests more than/);
  });

  test('a UTF-8 byte-order mark is accepted, in bytes or left in a string', () => {
    for (const file of ['tiny-resnet.arch.yaml', 'tiny-resnet-student.arch.json']) {
      const spec = readFileSync(join(FIXTURES, file));
      const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), spec]);
      assert.deepEqual(checkSpecText(withBom, file).problems, [], file);
      assert.deepEqual(checkSpecText(`\uFEFF${spec.toString('utf8')}`, file).problems, [], file);
    }
  });

  test('randomly damaged files give problems, never an exception', () => {
    const rng = new Rng(7);
    const junk = ['{', '}', '[', ']', ':', ',', '"', "'", '-', '&a', '*a', '!!', '#', '\n', '  ', '\t', '0', 'null', '\u0000', '\uFFFD'];
    for (const file of ['tiny-resnet.arch.yaml', 'tiny-resnet-student.arch.json']) {
      const original = readFileSync(join(FIXTURES, file), 'utf8');
      let damagedOnes = 0;
      for (let trial = 0; trial < 150; trial++) {
        let text = original;
        for (let edit = rng.int(1, 4); edit > 0; edit--) {
          const at = rng.int(0, text.length);
          text = text.slice(0, at) + (rng.bernoulli(0.5) ? rng.pick(junk) : '') + text.slice(at + rng.int(0, 3));
        }
        const { problems } = checkSpecText(text, file);
        if (problems.length > 0) damagedOnes++;
        for (const p of problems) assert.ok(p.range.start.line >= 0 && p.range.start.column >= 0 && p.message.length > 0);
      }
      assert.ok(damagedOnes > 30, `${file}: only ${damagedOnes} damaged files had problems`);
    }
  });
});

describe('locate', () => {
  const json = '{\n  "input": {\n    "channels": 3\n  },\n  "layers": [\n    {"id": "a"}\n  ]\n}\n';
  const yaml = 'input:\n  channels: 3\nlayers:\n  - id: a\n';
  const at = (text: string, file: string, path: (string | number)[], part?: 'key') => {
    const { document } = parseSource(text, file);
    const range = document!.locate(path, part);
    return `${range.start.line + 1}:${range.start.column + 1}-${range.end.line + 1}:${range.end.column + 1}`;
  };

  test('values and keys', () => {
    assert.equal(at(json, 'x.json', ['input', 'channels']), '3:17-3:18');
    assert.equal(at(json, 'x.json', ['input', 'channels'], 'key'), '3:5-3:15');
    assert.equal(at(json, 'x.json', ['layers', 0, 'id']), '6:12-6:15');
    assert.equal(at(yaml, 'x.yaml', ['input', 'channels']), '2:13-2:14');
    assert.equal(at(yaml, 'x.yaml', ['input', 'channels'], 'key'), '2:3-2:11');
    assert.equal(at(yaml, 'x.yaml', ['layers', 0, 'id']), '4:9-4:10');
  });

  test('a missing key gives its nearest parent: the key when it has one, else its first line', () => {
    assert.equal(at(json, 'x.json', ['input', 'height']), '2:3-2:10');
    assert.equal(at(yaml, 'x.yaml', ['input', 'height']), '1:1-1:6');
    assert.equal(at(json, 'x.json', ['layers', 3]), '5:3-5:11');
    assert.equal(at(json, 'x.json', ['layers', 0, 'kernel']), '6:5-6:16');
    assert.equal(at(yaml, 'x.yaml', ['classes']), '1:1-1:7');
  });
});
