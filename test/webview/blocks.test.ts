// Blocks of a graph by id prefix or, where the ids carry no structure, by the graph's own shape
// (its units), and the graph with blocks collapsed into one node each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphModel, GraphNode } from '../../protocol/webview';
import { ArchitectureSpec, INPUT_ID } from '../../engine/architecture/types';
import { zooTeacher } from '../../engine/zoo/index';
import { buildGraphModel } from '../../extension/view-models/graph';
import { blockLevels, collapse, findBlocks, findUnits, prefixBlocks } from '../../webview/model/blocks';
import { MINI_SHUFFLE } from '../space/fixtures/specs';
import { withGeneratedIds } from '../support/generated-ids';

/** Every edge joins drawn nodes, no node reads itself, each target's ports are 0..n-1, and there is no cycle. */
function assertDrawable(model: GraphModel): void {
  const ids = new Set([INPUT_ID, ...model.nodes.map((n) => n.id)]);
  for (const e of model.edges) {
    assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.from} -> ${e.to} joins drawn nodes`);
    assert.notEqual(e.from, e.to);
  }
  for (const node of model.nodes) {
    const ports = model.edges.filter((e) => e.to === node.id).map((e) => e.port).sort((a, b) => a - b);
    assert.deepEqual(ports, ports.map((_, i) => i), `ports of ${node.id}`);
  }
  assert.ok(ids.has(model.output), 'the output is drawn');
  // Kahn's algorithm consumes every node of an acyclic graph.
  const indegree = new Map([...ids].map((id) => [id, model.edges.filter((e) => e.to === id).length]));
  const ready = [...ids].filter((id) => indegree.get(id) === 0);
  let seen = 0;
  while (ready.length > 0) {
    const id = ready.pop()!;
    seen++;
    for (const e of model.edges.filter((edge) => edge.from === id)) {
      indegree.set(e.to, indegree.get(e.to)! - 1);
      if (indegree.get(e.to) === 0) ready.push(e.to);
    }
  }
  assert.equal(seen, ids.size, 'the collapsed graph is acyclic');
}

test('resnet34: its stages, units and shortcuts are blocks, offered by depth', () => {
  const model = buildGraphModel(zooTeacher('resnet34', 'cifar10'));
  const blocks = findBlocks(model);
  const ids = (depth: number) => blocks.filter((b) => b.depth === depth).map((b) => b.id);
  assert.deepEqual(ids(1), ['layer1.*', 'layer2.*', 'layer3.*', 'layer4.*']);
  assert.equal(ids(2).length, 3 + 4 + 6 + 3, 'one block per residual unit');
  assert.deepEqual(ids(3), ['layer2.0.shortcut.*', 'layer3.0.shortcut.*', 'layer4.0.shortcut.*']);
  assert.deepEqual(
    blockLevels(blocks).map((l) => [l.depth, l.example, l.count]),
    [
      [1, 'layer1.*', 4],
      [2, 'layer1.0.*', 16],
      [3, 'layer2.0.shortcut.*', 3],
    ],
  );
  assert.deepEqual(blocks.find((b) => b.id === 'layer1.0.*')!.members, ['layer1.0.conv1', 'layer1.0.bn1', 'layer1.0.relu1', 'layer1.0.conv2', 'layer1.0.bn2', 'layer1.0.relu2']);
});

test('resnet34 and shufflenet with their units collapsed: one node per unit, edges rerouted, still a DAG; expanding gives the graph back', () => {
  for (const name of ['resnet34', 'shufflenet-1x-g2'] as const) {
    const model = buildGraphModel(zooTeacher(name, 'cifar10'));
    const blocks = findBlocks(model);
    const units = blocks.filter((b) => b.depth === 2);
    const { model: collapsed, shownAs } = collapse(model, blocks, units.map((b) => b.id));
    const inUnits = units.reduce((s, b) => s + b.members.length, 0);
    assert.equal(collapsed.nodes.length, model.nodes.length - inUnits + units.length, name);
    assertDrawable(collapsed);
    assert.equal(shownAs.get(units[0].members[2]), units[0].id);
    assert.equal(collapsed.nodes.reduce((s, n) => s + n.params, 0), model.params, `${name}: params are kept`);
    assert.equal(collapsed.nodes.reduce((s, n) => s + n.macs, 0), model.macs, `${name}: MACs are kept`);
    assert.equal(collapse(model, blocks, []).model, model, 'nothing collapsed: the same graph');
  }
});

test('a collapsed block: its layer count, params, MACs and the shape of the layer it hands on; parallel edges merge', () => {
  const model = buildGraphModel(MINI_SHUFFLE);
  const blocks = findBlocks(model);
  const a = blocks.find((b) => b.id === 'a.*')!;
  assert.deepEqual(a.members, ['a.conv1', 'a.bn1', 'a.relu1', 'a.shuffle', 'a.dw', 'a.conv3', 'a.pool', 'a.concat', 'a.relu']);
  const { model: collapsed } = collapse(model, blocks, ['a.*']);
  const node = collapsed.nodes.find((n) => n.id === 'a.*')!;
  const members = model.nodes.filter((n) => n.id.startsWith('a.'));
  assert.equal(node.colour, 'block');
  assert.equal(node.detail, '9 layers');
  assert.equal(node.shape, model.nodes.find((n) => n.id === 'a.relu')!.shape);
  assert.equal(node.params, members.reduce((s, n) => s + n.params, 0));
  assert.equal(node.macs, members.reduce((s, n) => s + n.macs, 0));
  // stem fed a.conv1 and a.pool: one edge into the block now.
  assert.deepEqual(
    collapsed.edges.filter((e) => e.to === 'a.*').map((e) => [e.from, e.port]),
    [['stem', 0]],
  );
  assert.ok(collapsed.edges.some((e) => e.from === 'a.*' && e.to === 'b.conv1'));
  assertDrawable(collapsed);
});

test('an outer block collapsed takes its inner blocks with it; unknown ids are ignored', () => {
  const model = buildGraphModel(zooTeacher('resnet34', 'cifar10'));
  const blocks = findBlocks(model);
  const { model: collapsed, blocks: used } = collapse(model, blocks, ['layer2.0.*', 'layer2.*', 'no.such.*']);
  assert.deepEqual([...used.keys()], ['layer2.*']);
  assert.ok(!collapsed.nodes.some((n) => n.id.startsWith('layer2.0')));
  assertDrawable(collapsed);
});

test('no block is offered that a path leaves and re-enters, that names every layer, or that a longer prefix names as well', () => {
  const node = (id: string): GraphNode => ({ id, type: 'relu', colour: 'activation', detail: '', shape: '1x1x1', params: 0, macs: 0, attributes: [] });
  const chain = (ids: string[]): GraphModel => ({
    name: 'm',
    inputShape: '1x1x1',
    nodes: ids.map(node),
    edges: ids.map((id, i) => ({ from: i === 0 ? INPUT_ID : ids[i - 1], to: id, port: 0 })),
    output: ids.at(-1)!,
    params: 0,
    macs: 0,
  });
  // x.a -> y -> x.b: collapsing x.* would make a cycle through y.
  assert.deepEqual(findBlocks(chain(['x.a', 'y', 'x.b'])), []);
  // Every layer under net.*: nothing to gain.
  assert.deepEqual(findBlocks(chain(['net.a', 'net.b'])), []);
  // s.* and s.u.* hold the same layers: only the longer one.
  assert.deepEqual(
    findBlocks(chain(['stem', 's.u.a', 's.u.b', 'head'])).map((b) => b.id),
    ['s.u.*'],
  );
});

test('resnet34 and shufflenet with generated ids: no prefix blocks, and the units found from the graph are the residual units, layer for layer', () => {
  for (const name of ['resnet34', 'shufflenet-1x-g2'] as const) {
    const teacher = zooTeacher(name, 'cifar10');
    const byPrefix = prefixBlocks(buildGraphModel(teacher)).filter((b) => b.depth === 2);
    assert.equal(byPrefix.length, name === 'resnet34' ? 3 + 4 + 6 + 3 : 4 + 8 + 4);
    const { spec, renamed } = withGeneratedIds(teacher);
    const model = buildGraphModel(spec);
    assert.deepEqual(prefixBlocks(model), [], `${name}: its generated ids have no prefixes`);
    const units = findBlocks(model);
    assert.ok(units.every((b) => b.kind === 'unit' && b.depth === 1));
    assert.deepEqual(
      units.map((b) => b.members),
      byPrefix.map((b) => b.members.map((id) => renamed.get(id))),
      `${name}: each unit holds its residual unit's layers`,
    );
    assert.equal(units[0].id, `${units[0].members[0]} … ${units[0].members.at(-1)}`);
    const { model: collapsed } = collapse(model, units, units.map((b) => b.id));
    assert.equal(collapsed.nodes.length, model.nodes.length - units.reduce((s, b) => s + b.members.length, 0) + units.length);
    assertDrawable(collapsed);
    assert.deepEqual(blockLevels(units).map((l) => [l.depth, l.kind, l.count]), [[1, 'unit', units.length]]);
  }
});

test('a hand-written MobileNet-like net with meaningless ids: its two residual units (one with a squeeze-excite gate), not the unit without a shortcut nor the stem and head', () => {
  const spec: ArchitectureSpec = {
    format: 'esnac.architecture/v1',
    name: 'hand-written',
    input: { channels: 3, height: 8, width: 8 },
    classes: 4,
    layers: [
      { id: 'n0', type: 'conv', out: 8, kernel: 3, padding: 1 },
      { id: 'n1', type: 'batchnorm' },
      { id: 'n2', type: 'relu6' },
      // An inverted residual: expand, depthwise, project, add the input back.
      { id: 'n3', type: 'conv', out: 16, kernel: 1 },
      { id: 'n4', type: 'relu6' },
      { id: 'n5', type: 'conv', out: 16, kernel: 3, padding: 1, groups: 16 },
      { id: 'n6', type: 'relu6' },
      { id: 'n7', type: 'conv', out: 8, kernel: 1 },
      { id: 'n8', type: 'identity', inputs: ['n7', 'n2'] },
      // Strided, so no shortcut: a chain.
      { id: 'n9', type: 'conv', out: 16, kernel: 1 },
      { id: 'n10', type: 'relu6' },
      { id: 'n11', type: 'conv', out: 16, kernel: 3, stride: 2, padding: 1, groups: 16 },
      { id: 'n12', type: 'relu6' },
      { id: 'n13', type: 'conv', out: 12, kernel: 1 },
      // A conv gated by squeeze-excite (a mul), then the shortcut's add.
      { id: 'n14', type: 'conv', out: 12, kernel: 3, padding: 1 },
      { id: 'n15', type: 'globalavgpool' },
      { id: 'n16', type: 'conv', out: 12, kernel: 1 },
      { id: 'n17', type: 'hardsigmoid' },
      { id: 'n18', type: 'mul', inputs: ['n14', 'n17'] },
      { id: 'n19', type: 'identity', inputs: ['n18', 'n13'] },
      { id: 'n20', type: 'relu' },
      { id: 'n21', type: 'globalavgpool' },
      { id: 'n22', type: 'flatten' },
      { id: 'n23', type: 'linear', out: 4 },
    ],
  };
  const model = buildGraphModel(spec);
  const units = findBlocks(model);
  assert.deepEqual(
    units.map((b) => [b.id, b.members]),
    [
      ['n3 … n8', ['n3', 'n4', 'n5', 'n6', 'n7', 'n8']],
      // The ReLU after the add is the unit's; the pooling head is not.
      ['n14 … n20', ['n14', 'n15', 'n16', 'n17', 'n18', 'n19', 'n20']],
    ],
  );
  assertDrawable(collapse(model, units, units.map((b) => b.id)).model);
});

test('units: none in a chain (VGG), and a block by prefix wins over units where the ids have one', () => {
  assert.deepEqual(findUnits(buildGraphModel(zooTeacher('vgg19', 'cifar10'))), []);
  const model = buildGraphModel(MINI_SHUFFLE);
  assert.ok(findUnits(model).length > 0);
  assert.ok(findBlocks(model).every((b) => b.kind === 'prefix'));
});
