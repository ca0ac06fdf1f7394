// Schema, graph and shape rules, each located at the offending value; the in-memory check; loading.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import schema from '../../schemas/architecture.schema.json';
import { specStats } from '../../engine/architecture/stats';
import { windowOutput } from '../../engine/architecture/shapes';
import { ArchitectureSpec, BN_EPSILON, LAYER_TYPES } from '../../engine/architecture/types';
import { checkSpec, checkSpecText, formatProblems, loadSpecFile } from '../../engine/architecture/validate';
import { UserError } from '../../engine/util/errors';

const TINY = join(__dirname, 'fixtures', 'tiny-resnet.arch.yaml');

/** A 3x8x8 input and 4 classes; the layers start on line 6, one flow mapping per line. */
function yamlSpec(layers: string[], extra = ''): string {
  const head = ['format: esnac.architecture/v1', 'name: t', 'input: {channels: 3, height: 8, width: 8}', `classes: 4${extra}`, 'layers:'];
  return [...head, ...layers.map((l) => `  - ${l}`)].join('\n') + '\n';
}

const HEAD = ['{id: gap, type: globalavgpool}', '{id: fc, type: linear, out: 4}'];

function problems(text: string, fileName = 't.arch.yaml'): string[] {
  return checkSpecText(text, fileName).problems.map((p) => `${p.range.start.line + 1}:${p.range.start.column + 1} ${p.message}`);
}

describe('rules, located', () => {
  // [rule, layers (line 6 on) with ^ marking where the problem must be reported, message]
  const cases: [string, string[], RegExp][] = [
    ['unique ids', ['{id: a, type: conv, out: 4, kernel: 1}', '{id: ^a, type: relu}', ...HEAD], /duplicate layer id 'a'/],
    ['known references', ['{id: a, type: conv, out: 4, kernel: 1, inputs: [^ghost]}', ...HEAD], /reads 'ghost', which is not a layer id/],
    ['no cycles', ['{id: a, type: conv, out: 3, kernel: 1, inputs: [^b]}', '{id: b, type: relu}', ...HEAD], /cycle: b -> a -> b/],
    ['reserved id', ['{id: ^input, type: relu}', ...HEAD], /'input' is reserved/],
    ['id pattern', ['{id: ^1st, type: relu}', ...HEAD], /'1st' is not a valid layer id/],
    ['known layer type', ['{id: a, type: ^lstm}', ...HEAD], /unknown layer type 'lstm'/],
    ['required attribute', ['^{id: a, type: conv, kernel: 3}', ...HEAD], /layer 'a' is missing the required property 'out'/],
    ['unknown attribute', ['{id: a, type: relu, ^out: 3}', ...HEAD], /layer 'a' has an unknown property 'out' \(allowed: id, type, inputs\)/],
    ['positive sizes', ['{id: a, type: conv, out: ^0, kernel: 1}', ...HEAD], /out of layer 'a' must be at least 1/],
    ['dropout rate below 1', ['{id: a, type: dropout, rate: ^1.5}', ...HEAD], /rate of layer 'a' must be less than 1/],
    ['conv in matches', ['{id: a, type: conv, in: ^4, out: 4, kernel: 1}', ...HEAD], /declares in: 4 but receives 3 channels/],
    ['batchnorm in matches', ['{id: a, type: batchnorm, in: ^4}', ...HEAD], /declares in: 4 but receives 3 channels/],
    ['linear in matches', ['{id: gap, type: globalavgpool}', '{id: fc, type: linear, in: ^5, out: 4}'], /declares in: 5 but receives 3 features/],
    ['groups divide channels', ['{id: a, type: conv, out: 4, kernel: 1, groups: ^2}', ...HEAD], /groups \(2\) must divide the input channels \(3\)/],
    ['shuffle groups divide channels', ['{id: a, type: shuffle, groups: ^2}', ...HEAD], /shuffle groups \(2\) must divide the channels \(3\)/],
    ['chunks divide channels', ['{id: a, type: chunk, chunks: ^2, index: 0}', ...HEAD], /chunks \(2\) must divide the channels \(3\)/],
    ['chunk index in range', ['{id: a, type: conv, out: 4, kernel: 1}', '{id: b, type: chunk, chunks: 2, index: ^2}', ...HEAD], /chunk index 2 is out of range: there are 2 chunks \(0 to 1\)/],
    ['at least 2 chunks', ['{id: a, type: chunk, chunks: ^1, index: 0}', ...HEAD], /chunks of layer 'a' must be at least 2/],
    ['chunk needs its index', ['^{id: a, type: chunk, chunks: 3}', ...HEAD], /layer 'a' is missing the required property 'index'/],
    ['relu6 has no attributes', ['{id: a, type: relu6, ^max: 6}', ...HEAD], /layer 'a' has an unknown property 'max' \(allowed: id, type, inputs\)/],
    ['activations have no attributes', ['{id: a, type: hardswish, ^inplace: true}', ...HEAD], /layer 'a' has an unknown property 'inplace' \(allowed: id, type, inputs\)/],
    ['multiplied inputs equal or a per-channel gate', ['{id: a, type: conv, out: 3, kernel: 2, stride: 2}', '{id: m, type: mul, inputs: [input, ^a]}', ...HEAD], /multiplied inputs must have equal shapes or be 3x1x1 \(a per-channel gate\): 'input' is 3x8x8, 'a' is 3x4x4/],
    ['a gate has the channels it multiplies', ['{id: g, type: conv, out: 2, kernel: 8}', '{id: m, type: mul, inputs: [input, ^g]}', ...HEAD], /multiplied inputs must have equal shapes or be 3x1x1/],
    ['ceilMode is a boolean', ['{id: a, type: maxpool, kernel: 2, ceilMode: ^1}', ...HEAD], /ceilMode of layer 'a' must be true or false/],
    ['countIncludePad only on avgpool', ['{id: a, type: maxpool, kernel: 2, ^countIncludePad: false}', ...HEAD], /layer 'a' has an unknown property 'countIncludePad'/],
    ['batchnorm eps positive', ['{id: a, type: batchnorm, eps: ^0}', ...HEAD], /eps of layer 'a' must be more than 0/],
    ['spatial size at least 1', ['{id: a, type: conv, out: 4, kernel: ^9}', ...HEAD], /kernel 9 with padding 0 does not fit the 8x8 input/],
    ['pool padding at most half the kernel', ['{id: a, type: maxpool, kernel: 2, padding: ^2}', ...HEAD], /padding \(2\) must be at most half the kernel/],
    ['linear needs flat features', ['^{id: fc, type: linear, out: 4}'], /needs flat features but receives 3x8x8/],
    ['summed inputs of equal shape', ['{id: a, type: conv, out: 4, kernel: 1}', '{id: b, type: identity, inputs: [a, ^input]}', ...HEAD], /summed inputs must have equal shapes: 'a' is 4x8x8, 'input' is 3x8x8/],
    ['concat spatial sizes agree', ['{id: p, type: maxpool, kernel: 2}', '{id: c, type: concat, inputs: [p, ^input]}', ...HEAD], /concat inputs must have the same spatial size/],
    ['output gives classes', ['{id: gap, type: globalavgpool}', '^{id: fc, type: linear, out: 5}'], /gives 5x1x1 but the network has 4 classes/],
  ];
  for (const [rule, marked, pattern] of cases) {
    test(rule, () => {
      const index = marked.findIndex((l) => l.includes('^'));
      // Line 6 holds the first layer; `  - ` precedes each layer's text.
      const position = `${6 + index}:${5 + marked[index].indexOf('^')}`;
      const found = problems(yamlSpec(marked.map((l) => l.replace('^', ''))));
      assert.ok(found.some((p) => p.startsWith(`${position} `) && pattern.test(p)), `expected ${position} ${pattern}; got:\n${found.join('\n')}`);
    });
  }

  test('output names an existing layer, and the output check uses it', () => {
    assert.deepEqual(problems(yamlSpec(HEAD, '\noutput: nope')), ["5:9 output 'nope' is not a layer id"]);
    assert.deepEqual(problems(yamlSpec(HEAD, '\noutput: gap')), ["5:9 the output layer 'gap' gives 3x1x1 but the network has 4 classes (expected 4x1x1)"]);
  });

  test('every problem at once, in file order', () => {
    const found = problems(yamlSpec(['{id: a, type: relu, inputs: [x]}', '{id: a, type: relu}', '{id: b, type: relu, inputs: [y]}', ...HEAD]));
    assert.deepEqual(
      found.map((p) => p.split(' ')[0]),
      ['6:34', '7:10', '8:34'],
    );
  });

  test('JSON positions', () => {
    const spec = parse(yamlSpec(['{id: a, type: conv, out: 4, kernel: 1}', '{id: a, type: relu}', ...HEAD]));
    const text = JSON.stringify(spec, null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('"relu"')) - 1;
    assert.deepEqual(problems(text, 't.arch.json'), [`${line + 1}:13 duplicate layer id 'a' (layers[0] has it already)`]);
  });

  test('a valid file has no problems and gives its spec', () => {
    const result = checkSpecText(readFileSync(TINY), TINY);
    assert.deepEqual(result.problems, []);
    assert.equal(result.spec?.name, 'tiny-resnet');
  });

  test('shape problems still give the spec (the graph is sound)', () => {
    const result = checkSpecText(yamlSpec(['{id: fc, type: linear, out: 4}']), 't.arch.yaml');
    assert.equal(result.problems.length, 1);
    assert.equal(result.spec?.layers.length, 1);
  });

  test('the example teachers are valid', () => {
    const dir = join(__dirname, '..', '..', 'examples', 'teachers');
    const files = readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && /\.arch\.(json|ya?ml)$/.test(f.name));
    for (const f of files) assert.deepEqual(checkSpecText(readFileSync(join(dir, f.name)), f.name).problems, [], f.name);
  });
});

test('the schema and engine/architecture/types name the same layer types, each with its own definition', () => {
  const layer = schema.definitions.layer;
  assert.deepEqual(layer.properties.type.enum, [...LAYER_TYPES]);
  assert.deepEqual(
    layer.oneOf.map((branch) => branch.$ref),
    LAYER_TYPES.map((type) => `#/definitions/${type}`),
  );
  for (const type of LAYER_TYPES) assert.equal(schema.definitions[type].properties.type.const, type);
});

test('a chunk gives 1/k of the channels (summed inputs first), relu6 keeps them; neither has parameters or MACs', () => {
  const text = yamlSpec([
    '{id: a, type: conv, out: 6, kernel: 1}',
    '{id: b, type: conv, out: 6, kernel: 3, padding: 1, inputs: [input]}',
    '{id: third, type: chunk, chunks: 3, index: 2, inputs: [a, b]}',
    '{id: r6, type: relu6}',
    '{id: gap, type: globalavgpool}',
    '{id: fc, type: linear, out: 4}',
  ]);
  const { spec, problems } = checkSpecText(text, 't.arch.yaml');
  assert.deepEqual(problems, []);
  const rows = new Map(specStats(spec!).layers.map((l) => [l.id, l]));
  assert.deepEqual(rows.get('third'), { id: 'third', type: 'chunk', shape: [2, 8, 8], params: 0, macs: 0 });
  assert.deepEqual(rows.get('r6'), { id: 'r6', type: 'relu6', shape: [2, 8, 8], params: 0, macs: 0 });
  assert.equal(rows.get('fc')!.params, 2 * 4 + 4);
});

test('the schema\'s default batchnorm epsilon is BN_EPSILON, its ceilMode and countIncludePad defaults the tfjs forward\'s', () => {
  assert.equal(schema.definitions.batchnorm.properties.eps.default, BN_EPSILON);
  assert.equal(schema.definitions.maxpool.properties.ceilMode.default, false);
  assert.equal(schema.definitions.avgpool.properties.ceilMode.default, false);
  assert.equal(schema.definitions.avgpool.properties.countIncludePad.default, true);
});

test('ceil mode rounds a pool\'s output up unless the last window would start in the right padding; a mul keeps the features\' shape', () => {
  const text = yamlSpec([
    '{id: p, type: maxpool, kernel: 3, stride: 2, ceilMode: true}',
    '{id: q, type: avgpool, kernel: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false, inputs: [p]}',
    '{id: g, type: globalavgpool, inputs: [q]}',
    '{id: s, type: sigmoid}',
    '{id: m, type: mul, inputs: [g, q]}',
    ...HEAD,
  ]);
  const { spec, problems } = checkSpecText(text, 't.arch.yaml');
  assert.deepEqual(problems, []);
  const rows = new Map(specStats(spec!).layers.map((l) => [l.id, l]));
  // 8 -> ceil((8 - 3) / 2) + 1 = 4 (floor: 3); 4 -> ceil((4 + 2 - 2) / 2) + 1 = 3 (floor too), the last window starting at (3 - 1) * 2 = 4 < 4 + 1: inside.
  assert.deepEqual(rows.get('p')!.shape, [3, 4, 4]);
  assert.deepEqual(rows.get('q')!.shape, [3, 3, 3]);
  assert.deepEqual(rows.get('m'), { id: 'm', type: 'mul', shape: [3, 3, 3], params: 0, macs: 0 });
  assert.deepEqual(rows.get('s'), { id: 's', type: 'sigmoid', shape: [3, 1, 1], params: 0, macs: 0 });
});

test('windowOutput follows PyTorch\'s pooling_output_shape in floor and ceil mode', () => {
  // (size, kernel, stride, padding) -> [floor, ceil], from torch 1.13's max_pool2d.
  const cases: [number, number, number, number, number, number][] = [
    [6, 3, 2, 1, 3, 4],
    [5, 3, 2, 1, 3, 3],
    [3, 2, 2, 1, 2, 2],
    [112, 3, 2, 0, 55, 56],
    [7, 2, 2, 0, 3, 4],
  ];
  for (const [size, kernel, stride, padding, floor, ceil] of cases) {
    assert.equal(windowOutput(size, kernel, stride, padding), floor, `${size} ${kernel} ${stride} ${padding}`);
    assert.equal(windowOutput(size, kernel, stride, padding, true), ceil, `${size} ${kernel} ${stride} ${padding} ceil`);
  }
});

describe('checkSpec (in memory)', () => {
  const tiny = (): ArchitectureSpec => parse(readFileSync(TINY, 'utf8'));

  test('a valid spec has no issues', () => {
    assert.deepEqual(checkSpec(tiny()), []);
  });

  test('schema, graph and shape issues come with paths', () => {
    const badKernel = tiny();
    Object.assign(badKernel.layers[0], { kernel: 0 });
    assert.deepEqual(checkSpec(badKernel), [{ path: ['layers', 0, 'kernel'], message: "kernel of layer 'stem' must be at least 1" }]);

    const duplicate = tiny();
    duplicate.layers[4].id = 'stem';
    assert.deepEqual(checkSpec(duplicate), [{ path: ['layers', 4, 'id'], message: "duplicate layer id 'stem' (layers[0] has it already)" }]);

    const huge = tiny();
    huge.layers = Array.from({ length: 2_001 }, (_, i) => ({ id: `r${i}`, type: 'relu' as const }));
    assert.deepEqual(checkSpec(huge).map((i) => i.path), [['layers']]);
    assert.match(checkSpec(huge)[0].message, /^the spec has 2001 layers; the limit is 2000 \(/);

    const narrow = tiny();
    Object.assign(narrow.layers[5], { out: 8 });
    assert.deepEqual(
      checkSpec(narrow).map((i) => i.path),
      [['layers', 7, 'inputs', 1]],
    );
  });
});

describe('loadSpecFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-spec-'));

  test('returns a valid spec', async () => {
    assert.equal((await loadSpecFile(TINY)).layers.length, 15);
  });

  test('lists every problem as FILE:LINE:COL: message', async () => {
    const file = join(dir, 'bad.arch.yaml');
    writeFileSync(file, yamlSpec(['{id: a, type: relu, inputs: [x]}', '{id: a, type: relu}', ...HEAD]));
    await assert.rejects(loadSpecFile(file), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.message, `${file}:6:34: layer 'a' reads 'x', which is not a layer id\n${file}:7:10: duplicate layer id 'a' (layers[0] has it already)`);
      return true;
    });
  });

  test('a file too large is refused without reading it all', async () => {
    const file = join(dir, 'big.arch.json');
    writeFileSync(file, Buffer.alloc(10 * 1024 * 1024, 0x20));
    await assert.rejects(loadSpecFile(file), new UserError(`${file}:1:1: the file is larger than 1 MB, the limit for spec files`));
  });

  test('a missing file is a UserError', async () => {
    await assert.rejects(loadSpecFile(join(dir, 'none.arch.yaml')), /none\.arch\.yaml: cannot read the file: no such file/);
  });

  test('formatProblems is 1-based', () => {
    const range = { start: { line: 0, column: 4 }, end: { line: 0, column: 5 } };
    assert.equal(formatProblems('f.yaml', [{ message: 'm', range }]), 'f.yaml:1:5: m');
  });
});
