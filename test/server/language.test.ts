// Language features for spec files, from the real engine process over stdio.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CodeLens, CompletionItem, DocumentSymbol, Hover, Location, MarkupContent, Position, TextDocumentEdit, WorkspaceEdit } from 'vscode-languageserver';
import { Commands } from '../../protocol';
import { MAX_SPEC_BYTES, Problem } from '../../engine/architecture/source';
import { checkSpecText } from '../../engine/architecture/validate';
import { specToText } from '../../engine/architecture/write';
import { applyEdits, Engine, generatedSpec } from './client';

const SMALL = `format: esnac.architecture/v1
name: small
input: {channels: 1, height: 8, width: 8}
classes: 10
layers:
  - id: conv
    type: conv
    out: 4
    kernel: 3
    padding: 1
  - id: relu
    type: relu
  - id: skip
    type: identity
    inputs: [relu, conv]
  - id: pool
    type: globalavgpool
  - id: fc
    type: linear
    out: 10
output: fc
`;

/** The position of the `n`th occurrence of `needle` in `text`, `offset` characters into it. */
function at(text: string, needle: string, n = 0, offset = 0): Position {
  let index = -1;
  for (let i = 0; i <= n; i++) index = text.indexOf(needle, index + 1);
  assert.ok(index >= 0, `'${needle}' #${n} is in the text`);
  const before = text.slice(0, index + offset);
  return { line: before.split('\n').length - 1, character: index + offset - before.lastIndexOf('\n') - 1 };
}

function rangeOf(text: string, needle: string, n = 0) {
  const start = at(text, needle, n);
  return { start, end: { line: start.line, character: start.character + needle.length } };
}

function lspRanges(problems: Problem[]) {
  return problems.map((p) => ({ message: p.message, start: { line: p.range.start.line, character: p.range.start.column }, end: { line: p.range.end.line, character: p.range.end.column } }));
}

let engine: Engine;
let documents = 0;
/** A fresh document URI per use, so the tests do not see each other's versions. */
const uri = (ext: string) => `file:///workspace/doc-${++documents}.arch.${ext}`;

before(async () => {
  engine = await Engine.start();
});
after(async () => {
  await engine.stop();
});

const request = <T>(method: string, params: object) => engine.connection.sendRequest(method, params) as Promise<T>;

test('diagnostics: a problem at its exact range while it lasts, cleared once fixed', async () => {
  const doc = uri('yaml');
  const broken = SMALL.replace('inputs: [relu, conv]', 'inputs: [relu, nope]');
  const diagnostics = await engine.open(doc, broken);
  assert.equal(diagnostics.length, 1);
  assert.deepEqual(diagnostics[0].range, rangeOf(broken, 'nope'));
  assert.equal(diagnostics[0].message, "layer 'skip' reads 'nope', which is not a layer id");
  assert.deepEqual(await engine.change(doc, SMALL), []);
  const typo = SMALL.replace('out: 4', 'out: four');
  const [schema] = await engine.change(doc, typo);
  assert.deepEqual(schema.range, rangeOf(typo, 'four'));
  await engine.close(doc);
});

test('diagnostics for JSON, every malformed fixture and a huge file match the spec checker', async () => {
  const json = specToText(checkSpecText(SMALL, 'small.arch.yaml').spec!, 'json').replace('"classes": 10,', '"classes": 10,,');
  const doc = uri('json');
  const [comma] = await engine.open(doc, json);
  assert.deepEqual(comma.range.start, at(json, ',,', 0, 1));

  const dir = 'test/architecture/fixtures/malformed';
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    const expected = lspRanges(checkSpecText(text, file).problems);
    assert.ok(expected.length > 0, `${file} has problems`);
    const diagnostics = await engine.open(`file:///workspace/malformed/${file}`, text);
    assert.deepEqual(
      diagnostics.map((d) => ({ message: d.message, start: d.range.start, end: d.range.end })),
      expected,
      file,
    );
  }
  const [huge] = await engine.open(uri('yaml'), `name: x\ndescription: ${'x'.repeat(MAX_SPEC_BYTES)}\n`);
  assert.match(huge.message, /the file is larger than/);
  // Still serving after all of them.
  assert.deepEqual(await engine.change(doc, json.replace(',,', ',')), []);
  const symbols = await request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: doc } });
  assert.equal(symbols.length, 5);
});

test('files that are not spec files get no diagnostics and no features', async () => {
  const plain = 'file:///workspace/package.json';
  await engine.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: plain, languageId: 'json', version: 1, text: '{"name": 1,,}' } });
  assert.deepEqual(await request('textDocument/documentSymbol', { textDocument: { uri: plain } }), []);
  // Diagnostics of a spec opened later come later: by then the other file's would be here.
  await engine.open(uri('yaml'), SMALL);
  assert.ok(!engine.notifications.some((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === plain));
});

test('a 2,000-layer spec: its one problem is found, and hover and outline answer', async () => {
  const spec = generatedSpec(2000, 'missing');
  const text = specToText(spec, 'yaml');
  const doc = uri('yaml');
  const diagnostics = await engine.open(doc, text);
  assert.deepEqual(
    diagnostics.map((d) => d.range),
    [rangeOf(text, 'missing')],
  );
  const symbols = await request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: doc } });
  assert.equal(symbols.length, 2000);
  const hover = await request<Hover>('textDocument/hover', { textDocument: { uri: doc }, position: at(text, 'id: l1500', 0, 4) });
  assert.match((hover.contents as MarkupContent).value, /\*\*l1500\*\* · conv/);
});

test('hover: a layer shows its shape, params, MACs and inputs; a reference shows the layer it names', async () => {
  const doc = uri('yaml');
  await engine.open(doc, SMALL);
  const hoverAt = async (p: Position) => ((await request<Hover>('textDocument/hover', { textDocument: { uri: doc }, position: p })).contents as MarkupContent).value;
  const conv = await hoverAt(at(SMALL, 'kernel: 3'));
  assert.match(conv, /\*\*conv\*\* · conv/);
  assert.match(conv, /output: 4x8x8/);
  assert.match(conv, /params: 40 · MACs: 2\.30K/);
  assert.match(conv, /inputs: `input` \(1x8x8\) \(default\)/);
  assert.match(conv, /read by: `relu`, `skip`/);
  const skip = await hoverAt(at(SMALL, 'id: skip', 0, 5));
  assert.match(skip, /inputs: `relu` \(4x8x8\), `conv` \(4x8x8\)/);
  const reference = await request<Hover>('textDocument/hover', { textDocument: { uri: doc }, position: at(SMALL, '[relu', 0, 2) });
  assert.match((reference.contents as MarkupContent).value, /\*\*relu\*\* · relu/);
  assert.deepEqual(reference.range, rangeOf(SMALL, 'relu', 2));
  assert.equal(await request('textDocument/hover', { textDocument: { uri: doc }, position: at(SMALL, 'classes') }), null);
});

test('CodeLens: totals and actions on the first line; problems instead of totals; Diff only on candidates', async () => {
  const titles = async (text: string) => {
    const doc = uri('yaml');
    await engine.open(doc, text);
    const lenses = await request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: doc } });
    assert.ok(lenses.every((l) => l.range.start.line === 0));
    assert.ok(lenses.every((l) => l.command!.command === '' || l.command!.arguments?.[0] === doc));
    return lenses.map((l) => `${l.command!.title}${l.command!.command ? ` -> ${l.command!.command}` : ''}`);
  };
  assert.deepEqual(await titles(SMALL), ['90 params · 2.34K MACs', `Preview -> ${Commands.previewArchitecture}`, `Compress -> ${Commands.compressArchitecture}`]);
  assert.deepEqual(await titles(SMALL.replace('out: 4', 'out: -4')), ['1 problem', `Preview -> ${Commands.previewArchitecture}`]);
  const candidate = `${SMALL}candidate:\n  teacher: big\n  teacherPath: ../teacher.arch.yaml\n  action: {}\n`;
  assert.deepEqual((await titles(candidate)).at(-1), `Diff with teacher -> ${Commands.diffWithTeacher}`);
});

test('outline, go to definition and references', async () => {
  const doc = uri('yaml');
  await engine.open(doc, SMALL);
  const symbols = await request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: doc } });
  assert.deepEqual(
    symbols.map((s) => [s.name, s.detail]),
    [
      ['conv', 'conv 4x8x8'],
      ['relu', 'relu 4x8x8'],
      ['skip', 'identity 4x8x8'],
      ['pool', 'globalavgpool 4x1x1'],
      ['fc', 'linear 10x1x1'],
    ],
  );
  assert.deepEqual(symbols[2].selectionRange, rangeOf(SMALL, 'skip'));

  const definitionAt = (p: Position) => request<Location | null>('textDocument/definition', { textDocument: { uri: doc }, position: p });
  assert.deepEqual(await definitionAt(at(SMALL, 'conv]', 0, 1)), { uri: doc, range: rangeOf(SMALL, 'conv', 0) });
  assert.deepEqual(await definitionAt(at(SMALL, 'output: fc', 0, 9)), { uri: doc, range: rangeOf(SMALL, 'fc', 0) });
  assert.equal(await definitionAt(at(SMALL, 'type: relu')), null);

  const refs = await request<Location[]>('textDocument/references', { textDocument: { uri: doc }, position: at(SMALL, 'id: conv', 0, 4), context: { includeDeclaration: false } });
  assert.deepEqual(refs, [{ uri: doc, range: rangeOf(SMALL, 'conv', 2) }]);
});

test('completion: layer ids in inputs and output, layer types after type:, also while the text is broken', async () => {
  const labels = (items: CompletionItem[]) => items.map((i) => i.label);
  const complete = async (doc: string, text: string, p: Position) => {
    await engine.change(doc, text);
    return request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: doc }, position: p });
  };
  const doc = uri('yaml');
  await engine.open(doc, SMALL);
  // Typing a new input: `inputs: [relu, co` does not parse; ids come from the last version that did.
  const typing = SMALL.replace('inputs: [relu, conv]', 'inputs: [relu, co');
  const ids = await complete(doc, typing, at(typing, 'relu, co', 0, 8));
  assert.deepEqual(labels(ids), ['input', 'conv', 'relu', 'skip', 'pool', 'fc']);
  assert.deepEqual(ids[1].textEdit, { range: { start: at(typing, 'relu, co', 0, 6), end: at(typing, 'relu, co', 0, 8) }, newText: 'conv' });

  const block = SMALL.replace('inputs: [relu, conv]', 'inputs:\n      - relu\n      - ');
  assert.equal((await complete(doc, block, at(block, '- relu\n      - ', 0, 15))).length, 6);
  const output = SMALL.replace('output: fc', 'output: p');
  assert.deepEqual(labels(await complete(doc, output, at(output, 'output: p', 0, 9))), ['conv', 'relu', 'skip', 'pool', 'fc']);
  const type = SMALL.replace('type: relu', 'type: ');
  const types = await complete(doc, type, at(type, 'type: \n', 0, 6));
  assert.ok(labels(types).includes('batchnorm') && labels(types).includes('globalavgpool'));
  assert.deepEqual(await complete(doc, SMALL, at(SMALL, 'name: small', 0, 8)), []);

  // JSON: without an opening quote the item brings its quotes.
  const json = specToText(checkSpecText(SMALL, 'small.arch.yaml').spec!, 'json');
  const jsonDoc = uri('json');
  await engine.open(jsonDoc, json);
  const open = json.replace('"inputs": [\n        "relu",\n        "conv"\n      ]', '"inputs": [');
  const items = await complete(jsonDoc, open, at(open, '"inputs": [', 0, 11));
  assert.equal(items.find((i) => i.label === 'pool')?.textEdit?.newText, '"pool"');
});

test('rename: the definition and every reference; input, duplicates and bad ids are refused', async () => {
  const doc = uri('yaml');
  await engine.open(doc, SMALL);
  const prepared = await request<{ range: unknown; placeholder: string }>('textDocument/prepareRename', { textDocument: { uri: doc }, position: at(SMALL, '[relu', 0, 1) });
  assert.deepEqual(prepared, { range: rangeOf(SMALL, 'relu', 2), placeholder: 'relu' });

  const rename = (p: Position, newName: string) => request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: doc }, position: p, newName });
  const edit = await rename(at(SMALL, 'id: conv', 0, 5), 'stem');
  const [change] = edit.documentChanges as TextDocumentEdit[];
  assert.equal(change.textDocument.version, 1);
  const edited = applyEdits(SMALL, change.edits);
  assert.equal(edited, SMALL.replace('id: conv', 'id: stem').replace('[relu, conv]', '[relu, stem]'));

  const fcEdit = await rename(at(SMALL, 'output: fc', 0, 8), 'true');
  assert.deepEqual(
    (fcEdit.documentChanges as TextDocumentEdit[])[0].edits.map((e) => e.newText),
    ["'true'", "'true'"],
    'YAML would read a plain true as a boolean',
  );

  await assert.rejects(request('textDocument/prepareRename', { textDocument: { uri: doc }, position: at(SMALL, 'input:') }), /only a layer id can be renamed/);
  await assert.rejects(rename(at(SMALL, 'id: relu', 0, 4), 'fc'), /a layer with the id 'fc' exists already/);
  await assert.rejects(rename(at(SMALL, 'id: relu', 0, 4), 'input'), /'input' is reserved/);
  await assert.rejects(rename(at(SMALL, 'id: relu', 0, 4), '2x'), /'2x' is not a valid layer id/);

  const fromInput = SMALL.replace('inputs: [relu, conv]', 'inputs: [input, conv]');
  await engine.change(doc, fromInput);
  await assert.rejects(request('textDocument/prepareRename', { textDocument: { uri: doc }, position: at(fromInput, '[input', 0, 2) }), /'input' is the network input/);
});
