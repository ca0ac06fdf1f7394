// Quick fixes and completion from the real engine process over stdio: every fix kind in YAML and
// JSON is applied and must give the exact expected text and clear its diagnostic; completion in
// each context offers what that context allows, and snippets expanded as an editor would make a
// valid spec.
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeAction, CodeLens, CompletionItem, Diagnostic, Position, TextDocumentEdit } from 'vscode-languageserver';
import { TEACHER_SPEC } from '../../engine/run/run-directory';
import { checkSpecText } from '../../engine/architecture/validate';
import { editDistance, nearest } from '../../engine/util/nearest';
import { applyEdits, Engine } from './client';

const YAML = `format: esnac.architecture/v1
name: small
input: {channels: 3, height: 8, width: 8}
classes: 10
layers:
  - id: stem
    type: conv   # the first convolution
    out: 4
    kernel: 3
    padding: 1
  - id: stem_relu
    type: relu
  - {id: gate, type: conv, out: 4, kernel: 1, inputs: [stem_relu]}
  - id: pool
    type: globalavgpool
  - id: fc
    type: linear
    out: 10
`;

const JSON_TEXT = `{
  "format": "esnac.architecture/v1",
  "name": "small",
  "input": { "channels": 3, "height": 8, "width": 8 },
  "classes": 10,
  "layers": [
    {
      "id": "stem",
      "type": "conv",
      "out": 4,
      "kernel": 3,
      "padding": 1
    },
    { "id": "stem_relu", "type": "relu" },
    {
      "id": "pool",
      "type": "globalavgpool"
    },
    {
      "id": "fc",
      "type": "linear",
      "out": 10
    }
  ]
}
`;

let engine: Engine;
let documents = 0;
const uri = (ext: string) => `file:///workspace/edit-${++documents}.arch.${ext}`;

before(async () => {
  engine = await Engine.start();
});
after(async () => {
  await engine.stop();
});

function at(text: string, needle: string, offset = 0): Position {
  const index = text.indexOf(needle);
  assert.ok(index >= 0, `'${needle}' is in the text`);
  const before = text.slice(0, index + offset);
  return { line: before.split('\n').length - 1, character: index + offset - before.lastIndexOf('\n') - 1 };
}

/** Opens `text`, expects one diagnostic matching `problem`, and returns the fixes offered for it. */
async function fixesFor(text: string, ext: string, problem: RegExp): Promise<{ doc: string; diagnostic: Diagnostic; actions: CodeAction[] }> {
  const doc = uri(ext);
  const diagnostics = await engine.open(doc, text);
  assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.message).join('; '));
  const [diagnostic] = diagnostics;
  assert.match(diagnostic.message, problem);
  const actions = (await engine.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri: doc },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic] },
  })) as CodeAction[];
  for (const action of actions) {
    assert.equal(action.kind, 'quickfix');
    assert.deepEqual(action.diagnostics, [diagnostic], 'each fix names the diagnostic it fixes');
  }
  return { doc, diagnostic, actions };
}

/** Applies the action titled `title`; the result must be `expected` exactly, and free of problems. */
async function apply(doc: string, text: string, actions: CodeAction[], title: RegExp, expected: string): Promise<void> {
  const action = actions.find((a) => title.test(a.title));
  assert.ok(action, `a fix titled ${title} among: ${actions.map((a) => a.title).join('; ')}`);
  const [change] = action.edit!.documentChanges as TextDocumentEdit[];
  assert.equal(change.textDocument.uri, doc);
  const fixed = applyEdits(text, change.edits);
  assert.equal(fixed, expected);
  assert.deepEqual(await engine.change(doc, fixed), [], 'the fix clears the diagnostic');
}

test('edit distance counts a swap of neighbours as one edit; nearest keeps plausible typos only', () => {
  assert.equal(editDistance('cnov', 'conv'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.deepEqual(nearest('cnov', ['linear', 'conv', 'concat']), ['conv']);
  assert.deepEqual(nearest('stem_rleu', ['stem', 'stem_relu', 'pool']), ['stem_relu']);
  assert.deepEqual(nearest('xyz', ['conv', 'relu']), []);
});

test("unknown type: 'cnov' becomes 'conv' (the preferred fix) in YAML, keeping the comment; in JSON, inside its quotes", async () => {
  const yaml = YAML.replace('type: conv   #', 'type: cnov   #');
  const { doc, actions } = await fixesFor(yaml, 'yaml', /unknown layer type 'cnov'/);
  assert.equal(actions[0].title, "Change to 'conv'");
  assert.equal(actions[0].isPreferred, true);
  await apply(doc, yaml, actions, /^Change to 'conv'$/, YAML);

  const json = JSON_TEXT.replace('"type": "globalavgpool"', '"type": "globalavgpol"');
  const fromJson = await fixesFor(json, 'json', /unknown layer type 'globalavgpol'/);
  await apply(fromJson.doc, json, fromJson.actions, /'globalavgpool'/, JSON_TEXT);
});

test('a declared in that disagrees: set it to the channels received, or remove it (block, flow and JSON)', async () => {
  const block = YAML.replace('    out: 4\n    kernel: 3', '    in: 1\n    out: 4\n    kernel: 3');
  const blockFixes = await fixesFor(block, 'yaml', /declares in: 1 but receives 3 channels/);
  await apply(blockFixes.doc, block, blockFixes.actions, /^Set in to 3/, block.replace('in: 1', 'in: 3'));
  await engine.change(blockFixes.doc, block);
  await apply(blockFixes.doc, block, blockFixes.actions, /^Remove in/, YAML);

  const flow = YAML.replace('{id: gate, type: conv, out: 4', '{id: gate, type: conv, in: 8, out: 4');
  const flowFixes = await fixesFor(flow, 'yaml', /declares in: 8 but receives 4 channels/);
  await apply(flowFixes.doc, flow, flowFixes.actions, /^Remove in/, YAML);

  // The last property of a JSON object takes the comma before it along.
  const json = JSON_TEXT.replace('"out": 10\n', '"out": 10,\n      "in": 7\n');
  const jsonFixes = await fixesFor(json, 'json', /declares in: 7 but receives 4 features/);
  await apply(jsonFixes.doc, json, jsonFixes.actions, /^Set in to 4/, json.replace('"in": 7', '"in": 4'));
  await engine.change(jsonFixes.doc, json);
  await apply(jsonFixes.doc, json, jsonFixes.actions, /^Remove in/, JSON_TEXT);

  // A YAML item that opens with `in`: the next key moves up behind the dash.
  const first = YAML.replace('  - id: pool\n', '  - in: 2\n    id: pool\n').replace('type: globalavgpool', 'type: batchnorm\n  - id: pool2\n    type: globalavgpool');
  const firstFixes = await fixesFor(first, 'yaml', /declares in: 2 but receives 4 channels/);
  await apply(firstFixes.doc, first, firstFixes.actions, /^Remove in/, first.replace('  - in: 2\n    id: pool\n', '  - id: pool\n'));
});

test('an input id that does not exist: the nearest ids, never the reading layer itself', async () => {
  const yaml = YAML.replace('inputs: [stem_relu]', 'inputs: [stem_rlu]');
  const { doc, actions } = await fixesFor(yaml, 'yaml', /reads 'stem_rlu', which is not a layer id/);
  assert.deepEqual(
    actions.map((a) => a.title),
    ["Change to 'stem_relu'"],
  );
  await apply(doc, yaml, actions, /stem_relu/, YAML);

  const json = JSON_TEXT.replace('{ "id": "stem_relu", "type": "relu" }', '{ "id": "stem_relu", "type": "relu", "inputs": ["setm"] }');
  const fromJson = await fixesFor(json, 'json', /reads 'setm'/);
  assert.equal(fromJson.actions[0].title, "Change to 'stem'");
  await apply(fromJson.doc, json, fromJson.actions, /'stem'/, json.replace('["setm"]', '["stem"]'));

  const output = `${YAML}output: fx\n`;
  const fromOutput = await fixesFor(output, 'yaml', /output 'fx' is not a layer id/);
  await apply(fromOutput.doc, output, fromOutput.actions, /'fc'/, `${YAML}output: fc\n`);
});

test('a missing required attribute is inserted after the type, in the style of its layer', async () => {
  const yaml = YAML.replace('    out: 4\n    kernel: 3\n', '    out: 4\n');
  const { doc, actions } = await fixesFor(yaml, 'yaml', /layer 'stem' is missing the required property 'kernel'/);
  // After the type's comment, on a line of its own at the keys' column.
  await apply(doc, yaml, actions, /^Add kernel: 3$/, yaml.replace('# the first convolution\n', '# the first convolution\n    kernel: 3\n'));

  const flow = YAML.replace('{id: gate, type: conv, out: 4, kernel: 1,', '{id: gate, type: conv, kernel: 1,');
  const flowFixes = await fixesFor(flow, 'yaml', /missing the required property 'out'/);
  // A convolution keeps the width of the one before it.
  await apply(flowFixes.doc, flow, flowFixes.actions, /^Add out: 4$/, flow.replace('type: conv, kernel: 1', 'type: conv, out: 4, kernel: 1'));

  const json = JSON_TEXT.replace(',\n      "out": 10', '');
  const jsonFixes = await fixesFor(json, 'json', /layer 'fc' is missing the required property 'out'/);
  // A head gives the classes.
  await apply(jsonFixes.doc, json, jsonFixes.actions, /^Add out: 10$/, json.replace('"type": "linear"', '"type": "linear",\n      "out": 10'));

  const oneLine = JSON_TEXT.replace('{ "id": "stem_relu", "type": "relu" }', '{ "id": "stem_relu", "type": "maxpool" }');
  const oneLineFixes = await fixesFor(oneLine, 'json', /missing the required property 'kernel'/);
  const pooled = oneLine.replace('"type": "maxpool" }', '"type": "maxpool", "kernel": 2 }');
  const action = oneLineFixes.actions.find((a) => a.title === 'Add kernel: 2')!;
  assert.equal(applyEdits(oneLine, (action.edit!.documentChanges as TextDocumentEdit[])[0].edits), pooled);
});

test('no fixes where none is known: a problem without a fix, and a range without problems', async () => {
  const yaml = YAML.replace('out: 10', 'out: 11');
  const { actions } = await fixesFor(yaml, 'yaml', /gives 11x1x1 but the network has 10 classes/);
  assert.deepEqual(actions, []);
});

// ---- completion ----

async function complete(text: string, ext: string): Promise<{ items: CompletionItem[]; text: string; cursor: Position }> {
  const cursor = at(text, '|');
  const clean = text.replace('|', '');
  const doc = uri(ext);
  await engine.open(doc, ext === 'json' ? JSON_TEXT : YAML);
  await engine.change(doc, clean);
  const items = (await engine.connection.sendRequest('textDocument/completion', { textDocument: { uri: doc }, position: cursor })) as CompletionItem[];
  return { items, text: clean, cursor };
}

/** A snippet as an editor expands it with every default: placeholders and choices take their first value, mirrors copy them. */
function expand(snippet: string): string {
  const values = new Map<string, string>();
  const first = snippet.replace(/\$\{(\d+)(?::([^}]*)|\|([^|]*)\|)\}/g, (_, n: string, placeholder?: string, choices?: string) => {
    const value = placeholder ?? choices!.split(',')[0];
    values.set(n, value);
    return value;
  });
  return first.replace(/\$(\d+)/g, (_, n: string) => values.get(n) ?? '').replace(/\\([$}\\])/g, '$1');
}

function applyItem(text: string, item: CompletionItem): string {
  const edit = item.textEdit as { range: { start: Position; end: Position }; newText: string };
  return applyEdits(text, [{ range: edit.range, newText: expand(edit.newText) }]);
}

test('completion of keys: the keys of the layer by its type that it lacks, in YAML and JSON', async () => {
  const yaml = await complete(YAML.replace('    kernel: 3\n', '    ker|\n    kernel: 3\n'), 'yaml');
  const labels = yaml.items.map((i) => i.label);
  assert.ok(labels.includes('stride') && labels.includes('groups') && labels.includes('bias'), labels.join(', '));
  assert.ok(!labels.includes('kernel') && !labels.includes('out') && !labels.includes('id'), 'present keys are not offered');
  assert.ok(!labels.includes('eps'), "batchnorm's eps is not a conv key");
  const stride = yaml.items.find((i) => i.label === 'stride')!;
  assert.equal(applyItem(yaml.text, stride), YAML.replace('    kernel: 3\n', '    stride: 1\n    kernel: 3\n'));

  const relu = await complete(YAML.replace('    type: relu\n', '    type: relu\n    |\n'), 'yaml');
  assert.deepEqual(
    relu.items.map((i) => i.label),
    ['inputs'],
  );

  const json = await complete(JSON_TEXT.replace('"type": "globalavgpool"', '"type": "globalavgpool",\n      |'), 'json');
  assert.deepEqual(
    json.items.map((i) => i.label),
    ['inputs'],
  );
  const linear = await complete(JSON_TEXT.replace('"out": 10\n', '"out": 10,\n      "b|\n'), 'json');
  const bias = linear.items.find((i) => i.label === 'bias')!;
  assert.ok(bias, linear.items.map((i) => i.label).join(', '));
  assert.equal((bias.textEdit as { newText: string }).newText, '"bias": ${1:true}');
  // The quote an editor closed by itself is replaced too.
  const closed = await complete(JSON_TEXT.replace('"out": 10\n', '"out": 10,\n      "b|"\n'), 'json');
  assert.equal(applyItem(closed.text, closed.items.find((i) => i.label === 'bias')!), JSON_TEXT.replace('"out": 10\n', '"out": 10,\n      "bias": true\n'));
});

test('completion of types (activations marked) and of input ids, in YAML and JSON', async () => {
  const yaml = await complete(YAML.replace('type: relu', 'type: re|'), 'yaml');
  const relu6 = yaml.items.find((i) => i.label === 'relu6')!;
  assert.equal(relu6.detail, 'activation');
  assert.equal(yaml.items.find((i) => i.label === 'conv')!.detail, 'layer type');
  assert.equal(applyItem(yaml.text, yaml.items.find((i) => i.label === 'relu')!), YAML);

  const json = await complete(JSON_TEXT.replace('"type": "relu" }', '"type": "relu", "inputs": [|] }'), 'json');
  assert.deepEqual(
    json.items.map((i) => i.label),
    ['input', 'stem', 'stem_relu', 'pool', 'fc'],
  );
});

test('snippets where a layer starts: a layer, conv-bn-relu and a residual block that read the layer above and make a valid spec', async () => {
  for (const [text, ext] of [
    [YAML.replace('  - id: pool\n', '  |\n  - id: pool\n'), 'yaml'],
    [YAML.replace('  - id: pool\n', '  - |\n  - id: pool\n'), 'yaml'],
    [JSON_TEXT.replace('    { "id": "stem_relu", "type": "relu" },\n', '    { "id": "stem_relu", "type": "relu" },\n    |\n'), 'json'],
  ] as const) {
    const { items, text: clean } = await complete(text, ext);
    const snippets = items.filter((i) => i.kind === 15);
    assert.deepEqual(
      snippets.map((i) => i.label),
      ['layer', 'conv-bn-relu', 'residual block'],
      `${ext}: ${items.map((i) => i.label).join(', ')}`,
    );
    for (const snippet of snippets) {
      const expanded = applyItem(clean, snippet);
      const { problems, spec } = checkSpecText(expanded, `x.arch.${ext}`);
      assert.deepEqual(problems, [], `${snippet.label} in ${ext}:\n${expanded}`);
      if (snippet.label === 'residual block') {
        const add = spec!.layers.find((l) => l.id === 'res1.add')!;
        assert.deepEqual(add.inputs, ['res1.bn2', ext === 'json' ? 'stem_relu' : 'gate'], 'the block adds its input back');
      }
    }
  }
});

test("Diff with teacher: a lens on a run's student, none on the run's teacher", async () => {
  const run = mkdtempSync(join(tmpdir(), 'esnac-lens-'));
  writeFileSync(join(run, 'run.json'), JSON.stringify({ teacher: { name: 'small', spec: TEACHER_SPEC } }));
  const titles = async (file: string) => {
    const doc = pathToFileURL(join(run, file)).href;
    await engine.open(doc, YAML);
    const lenses = (await engine.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc } })) as CodeLens[];
    return lenses.map((l) => l.command!.title);
  };
  assert.ok((await titles('best.arch.yaml')).includes('Diff with teacher'));
  assert.ok(!(await titles(TEACHER_SPEC)).includes('Diff with teacher'));
});
