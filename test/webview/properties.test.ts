// What the properties panel and the marks on nodes are made of, computed in the extension host:
// a layer's attributes, params and MACs; where each layer lies in the text, the layer under the
// cursor, and the spec's problems by layer. And the left-to-right layout's ports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSource } from '../../engine/architecture/source';
import { inferShapes } from '../../engine/architecture/shapes';
import { checkSourceDocument } from '../../engine/architecture/validate';
import { zooTeacher } from '../../engine/zoo/index';
import { buildGraphModel, layerAt, layerAttributes, layerRanges, problemsByLayer } from '../../extension/view-models/graph';
import { buildElkGraph, outPortId } from '../../webview/model/elk';
import { BROKEN_LINE_INDEX, BROKEN_TEXT } from '../e2e/workspace';

// The e2e workspace's spec with one shape error: conv2 expects 3 channels where conv1 gives 8.
const TEXT = BROKEN_TEXT;

test('a node carries every attribute its layer gives, its params and its MACs', () => {
  const spec = zooTeacher('resnet18', 'cifar10');
  const model = buildGraphModel(spec);
  const shapes = inferShapes(spec);
  for (const node of model.nodes) {
    assert.equal(node.macs, shapes.byId.get(node.id)!.macs, node.id);
    assert.equal(node.params, shapes.byId.get(node.id)!.params, node.id);
  }
  assert.equal(model.nodes.reduce((s, n) => s + n.macs, 0), model.macs);
  assert.deepEqual(layerAttributes({ id: 'c', type: 'conv', in: 3, out: 8, kernel: 3, stride: 2, groups: 1, inputs: ['x'] }), [
    ['in', '3'],
    ['out', '8'],
    ['kernel', '3'],
    ['stride', '2'],
    ['groups', '1'],
  ]);
  assert.deepEqual(layerAttributes({ id: 'r', type: 'relu' }), []);
});

test('the cursor finds the layer whose lines it is on; outside every layer, none', () => {
  const { document } = parseSource(TEXT, 'tiny.arch.yaml');
  const ranges = layerRanges(document!);
  assert.deepEqual(
    ranges.map((r) => r.id),
    ['conv1', 'relu1', 'conv2', 'pool', 'flatten', 'fc'],
  );
  const lines = TEXT.split('\n');
  const at = (text: string, column = 4) => layerAt(ranges, { line: lines.indexOf(text), column });
  assert.equal(at('    in: 1', 6), 'conv1');
  assert.equal(at('    type: relu'), 'relu1');
  assert.equal(layerAt(ranges, { line: BROKEN_LINE_INDEX, column: 4 }), 'conv2');
  assert.equal(at('    in: 1568', 8), 'fc');
  assert.equal(at('name: e2e-small', 0), undefined);
});

test("the spec's problems are marked on the layers they are in", () => {
  const { document } = parseSource(TEXT, 'tiny.arch.yaml');
  const { problems } = checkSourceDocument(document!);
  assert.ok(problems.length > 0);
  const marks = problemsByLayer(layerRanges(document!), problems);
  assert.deepEqual(Object.keys(marks), ['conv2']);
  assert.deepEqual(marks.conv2, problems.map((p) => p.message));
});

test('left to right: operands enter from the west, the output leaves to the east', () => {
  const model = buildGraphModel(zooTeacher('resnet18', 'cifar10'));
  const elk = buildElkGraph(model, (text) => text.length * 7, 'RIGHT');
  assert.equal(elk.layoutOptions!['elk.direction'], 'RIGHT');
  const node = elk.children!.find((n) => n.id === 'layer2.0.relu2')!;
  const sides = node.ports!.map((p) => [p.id === outPortId(node.id) ? 'out' : 'in', p.layoutOptions!['elk.port.side']]);
  assert.deepEqual(sides, [
    ['in', 'WEST'],
    ['in', 'WEST'],
    ['out', 'EAST'],
  ]);
});
