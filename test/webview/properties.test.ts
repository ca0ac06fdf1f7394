// What the properties panel and the marks on nodes are made of, computed in the extension host:
// a layer's attributes, params and MACs; where each layer lies in the text, the layer under the
// cursor, and the spec's problems by layer. And the left-to-right layout's ports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSource } from '../../engine/architecture/source';
import { inferShapes } from '../../engine/architecture/shapes';
import { checkSourceDocument } from '../../engine/architecture/validate';
import { zooTeacher } from '../../engine/zoo/index';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSearchSpace, sampleCandidate } from '../../engine/space/index';
import { Rng } from '../../engine/util/rng';
import { buildDiffModel } from '../../extension/view-models/diff';
import { buildGraphModel, CursorFollower, layerAt, layerAttributes, layerRanges, problemsByLayer } from '../../extension/view-models/graph';
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

test('the graph diff follows the cursor through the teacher and the student: every layer of either file selects its node of the diff, once per layer entered', () => {
  const teacherText = readFileSync(join(__dirname, '..', '..', 'examples', 'teachers', 'resnet-mini-mnist.arch.yaml'), 'utf8');
  const teacherDocument = parseSource(teacherText, 'teacher.arch.yaml').document!;
  const teacher = checkSourceDocument(teacherDocument).spec!;
  // A student with layers removed and skips added, as the search makes them; its file as JSON.
  const space = buildSearchSpace(teacher, { p1Choices: [0.4], p3Choices: [0.05] });
  const rng = new Rng(1);
  let candidate = sampleCandidate(space, rng);
  while (candidate.action.remove.length === 0 || candidate.action.skip.length === 0) candidate = sampleCandidate(space, rng);
  const studentDocument = parseSource(JSON.stringify(candidate.spec, null, 2), 'student.arch.json').document!;
  const drawn = new Set(buildDiffModel(teacher, candidate.spec).graph.nodes.map((n) => n.id));
  const teacherLayers = layerRanges(teacherDocument);
  const studentLayers = layerRanges(studentDocument);
  assert.equal(teacherLayers.length, teacher.layers.length);
  assert.equal(studentLayers.length, candidate.spec.layers.length);

  const follower = new CursorFollower();
  for (const [side, ranges] of [['teacher', teacherLayers], ['student', studentLayers]] as const) {
    // From the other file's last layer into this one's first: a new layer, unless it is the same one.
    for (const [i, { id, range }] of ranges.entries()) {
      assert.ok(drawn.has(id), `${side}'s ${id} is a node of the diff`);
      const entered = follower.moved(ranges, range.start);
      if (i > 0 || side === 'teacher') assert.equal(entered, id, `${side}: the cursor entering ${id}`);
      assert.equal(follower.moved(ranges, range.end), undefined, `${side}: the cursor moving inside ${id}`);
    }
  }
  // The same layer in the other file is no new selection; another one is.
  const last = studentLayers.at(-1)!;
  assert.equal(follower.moved(teacherLayers, teacherLayers.find((r) => r.id === last.id)!.range.start), undefined);
  assert.equal(follower.moved(teacherLayers, teacherLayers[0].range.start), teacherLayers[0].id);
  // A layer the student removed is still found from the teacher's file.
  const removed = candidate.action.remove;
  assert.ok(removed.length > 0 && removed.every((id) => drawn.has(id)));
  assert.equal(follower.moved(teacherLayers, teacherLayers.find((r) => r.id === removed[0])!.range.start), removed[0]);
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
