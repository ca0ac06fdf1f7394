// The graph the webview draws, the elkjs input made from it, and real elkjs layouts of the
// biggest teachers.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type { ELK, ElkNode } from 'elkjs/lib/elk-api';
import { layerInputs } from '../../engine/architecture/graph';
import { ArchitectureSpec, INPUT_ID } from '../../engine/architecture/types';
import { ZOO_NAMES, zooDatasets, zooTeacher } from '../../engine/zoo/index';
import { buildElkGraph, inPortId, MeasureText, nodeLines, outPortId } from '../../webview/model/elk';
import { buildGraphModel } from '../../extension/view-models/graph';
import { MINI_SE, MINI_SHUFFLE_V2 } from '../space/fixtures/specs';

const measure: MeasureText = (text, bold) => text.length * (bold ? 7.6 : 7.1);

const teachers = ZOO_NAMES.map((name) => zooTeacher(name, zooDatasets(name)[0]));

test('every zoo teacher: one node per layer, one edge per input reference in operand order', () => {
  for (const spec of teachers) {
    const model = buildGraphModel(spec);
    assert.equal(model.nodes.length, spec.layers.length, spec.name);
    assert.deepEqual(new Set(model.nodes.map((n) => n.id)), new Set(spec.layers.map((l) => l.id)), spec.name);
    const expected = spec.layers.flatMap((layer, i) => layerInputs(spec, i).map((from, port) => `${from}>${layer.id}#${port}`));
    assert.deepEqual(model.edges.map((e) => `${e.from}>${e.to}#${e.port}`).sort(), expected.sort(), spec.name);
    assert.ok(model.nodes.every((n) => n.shape !== '?'), `${spec.name}: every shape known`);
  }
});

test('nodes carry their type, colour class, attributes and output shape', () => {
  const model = buildGraphModel(zooTeacher('resnet18', 'cifar10'));
  const node = (id: string) => model.nodes.find((n) => n.id === id)!;
  assert.deepEqual(node('conv1'), {
    id: 'conv1',
    type: 'conv',
    colour: 'conv',
    detail: '3x3',
    shape: '64x32x32',
    params: 1728,
    macs: 1728 * 32 * 32,
    attributes: [
      ['in', '3'],
      ['out', '64'],
      ['kernel', '3'],
      ['padding', '1'],
      ['bias', 'false'],
    ],
  });
  assert.equal(node('layer2.0.conv1').detail, '3x3 /2');
  assert.equal(node('layer2.0.bn1').colour, 'norm');
  assert.equal(model.nodes.at(-1)!.shape, '10x1x1');
  assert.equal(model.inputShape, '3x32x32');
  assert.deepEqual(nodeLines(node('layer2.0.conv1')), ['layer2.0.conv1', 'conv 3x3 /2 · 128x16x16']);
});

test('relu6 is an activation, a chunk a reshape that says which part it takes', () => {
  const model = buildGraphModel(MINI_SHUFFLE_V2);
  const node = (id: string) => model.nodes.find((n) => n.id === id)!;
  assert.deepEqual(node('stem.relu'), { id: 'stem.relu', type: 'relu6', colour: 'activation', detail: '', shape: '6x8x8', params: 0, macs: 0, attributes: [] });
  assert.deepEqual(node('b.x2'), { id: 'b.x2', type: 'chunk', colour: 'reshape', detail: '#1 of 2', shape: '8x4x4', params: 0, macs: 0, attributes: [['chunks', '2'], ['index', '1']] });
});

test('the new activations are activations, a mul a merge; ceil mode, excluded padding and another epsilon are shown', () => {
  const model = buildGraphModel(MINI_SE);
  const node = (id: string) => model.nodes.find((n) => n.id === id)!;
  for (const id of ['stem.act', 'a.se.gate', 'b.act', 'b.se.gate', 'b.tanh']) assert.equal(node(id).colour, 'activation', id);
  assert.deepEqual(node('a.se.scale'), { id: 'a.se.scale', type: 'mul', colour: 'merge', detail: '', shape: '8x9x9', params: 0, macs: 0, attributes: [] });
  assert.equal(node('pool').detail, '2x2 /2 ceil');
  assert.equal(node('b.avg').detail, '3x3 /2 ceil excl. pad');
  assert.equal(node('stem.bn').detail, 'eps=0.001');
  assert.equal(node('b.bn1').detail, '');
});

test('a layer whose shape cannot be inferred is drawn with an unknown shape', () => {
  const spec: ArchitectureSpec = {
    format: 'esnac.architecture/v1',
    name: 'broken',
    input: { channels: 1, height: 4, width: 4 },
    classes: 2,
    layers: [
      { id: 'a', type: 'conv', out: 3, kernel: 9 },
      { id: 'b', type: 'relu' },
    ],
  };
  assert.deepEqual(
    buildGraphModel(spec).nodes.map((n) => n.shape),
    ['?', '?'],
  );
});

test('the elk graph gives each operand its own north port in fixed order', () => {
  const spec = zooTeacher('shufflenet-1x-g2', 'cifar10');
  const elk = buildElkGraph(buildGraphModel(spec), measure);
  assert.equal(elk.children!.length, spec.layers.length + 1, 'the layers and the input');
  const concat = spec.layers.findIndex((l) => l.type === 'concat');
  const id = spec.layers[concat].id;
  const node = elk.children!.find((n) => n.id === id)!;
  assert.equal(node.layoutOptions!['elk.portConstraints'], 'FIXED_ORDER');
  const inputs = layerInputs(spec, concat);
  assert.deepEqual(
    node.ports!.map((p) => [p.id, p.layoutOptions!['elk.port.side'], p.layoutOptions!['elk.port.index']]),
    [...inputs.map((_, i) => [inPortId(id, i), 'NORTH', String(i)]), [outPortId(id), 'SOUTH', String(inputs.length)]],
  );
  inputs.forEach((from, i) => {
    assert.ok(elk.edges!.some((e) => e.sources[0] === outPortId(from) && e.targets[0] === inPortId(id, i)));
  });
  assert.ok(elk.children!.some((n) => n.id === INPUT_ID));
});

const newElk = (): ELK => new (createRequire(__filename)('elkjs/lib/elk.bundled.js'))();

function assertLaidOut(input: ElkNode, output: ElkNode): void {
  assert.equal(output.children!.length, input.children!.length);
  for (const node of output.children!) {
    assert.ok(Number.isFinite(node.x) && Number.isFinite(node.y), `${node.id} has a position`);
  }
  for (const edge of output.edges as { sections?: unknown[] }[]) assert.ok(edge.sections?.length, 'every edge is routed');
  // DOWN: every edge goes from a higher node to a lower one.
  const y = new Map(output.children!.map((n) => [n.id, n.y!]));
  for (const edge of input.edges!) {
    const [from] = edge.sources[0].split('\u0000');
    const [to] = edge.targets[0].split('\u0000');
    assert.ok(y.get(from)! < y.get(to)!, `${from} above ${to}`);
  }
}

for (const name of ['resnet34', 'shufflenet-1x-g2'] as const) {
  test(`elkjs lays out ${name} with every node placed, top to bottom`, async () => {
    const input = buildElkGraph(buildGraphModel(zooTeacher(name, 'cifar10')), measure);
    const output = await newElk().layout(structuredClone(input));
    assertLaidOut(input, output);
  });
}

test('elkjs keeps the operand order of a concat from left to right', async () => {
  const spec = zooTeacher('shufflenet-1x-g2', 'cifar10');
  const output = await newElk().layout(buildElkGraph(buildGraphModel(spec), measure));
  const concat = spec.layers.findIndex((l) => l.type === 'concat');
  const node = output.children!.find((n) => n.id === spec.layers[concat].id)!;
  const xs = layerInputs(spec, concat).map((_, i) => node.ports!.find((p) => p.id === inPortId(node.id, i))!.x!);
  assert.deepEqual(
    xs,
    [...xs].sort((a, b) => a - b),
  );
});
