import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateKey } from '../../engine/space/key';
import { Action, applyAction, buildSearchSpace, sampleCandidate } from '../../engine/space/space';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec, ConvLayer, Layer } from '../../engine/architecture/types';
import { checkSpec } from '../../engine/architecture/validate';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo/index';
import { FIVE_LAYER_DAG, MINI_SE, MINI_SHUFFLE, MINI_SHUFFLE_V2 } from './fixtures/specs';

const RESNET_MINI = zooTeacher('resnet-mini', 'mnist');

function layer(spec: ArchitectureSpec, id: string): Layer {
  const found = spec.layers.find((l) => l.id === id);
  assert.ok(found, `no layer '${id}'`);
  return found;
}

const conv = (spec: ArchitectureSpec, id: string) => layer(spec, id) as ConvLayer;

function sample(spec: ArchitectureSpec, seed: number, count: number, options = {}): ArchitectureSpec[] {
  const space = buildSearchSpace(spec, options);
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => sampleCandidate(space, rng).spec);
}

test('residual sums keep their operands in one group: one group per ResNet stage width', () => {
  const space = buildSearchSpace(RESNET_MINI);
  assert.deepEqual(
    space.groups.map((g) => [g.id, g.width]),
    [['conv1.out', 16], ['layer2.0.conv1.out', 32], ['layer3.0.conv1.out', 64]],
  );
  const stage2 = space.groups[1].sides;
  for (const side of ['layer2.0.bn2.out', 'layer2.0.shortcut.bn.out', 'layer2.0.relu2.in', 'layer3.0.conv1.in']) assert.ok(stage2.includes(side), side);
  // The network input and the classifier's output are fixed.
  for (const g of space.groups) assert.ok(!g.sides.includes('conv1.in') && !g.sides.includes('fc.out'));
});

test('grouped convs and shuffles: widths stay multiples of the lcm of their groups', () => {
  const space = buildSearchSpace(MINI_SHUFFLE, { skip: false });
  assert.deepEqual(
    space.groups.map((g) => [g.id, g.width, g.divisor]),
    [
      // The stem feeds the concat, whose channels must stay even for b.conv1 (groups 2).
      ['stem.out', 6, 2],
      // a.shuffle has groups 2 and a.conv3 groups 3.
      ['a.conv1.out', 12, 6],
      ['a.conv3.out', 6, 6],
      ['b.conv1.out', 6, 2],
    ],
  );
  for (const spec of sample(MINI_SHUFFLE, 3, 300, { skip: false })) {
    assert.deepEqual(checkSpec(spec), [], spec.name);
    assert.ok([6, 12].includes(conv(spec, 'a.conv1').out));
    assert.equal(conv(spec, 'stem').out % 2, 0);
  }
});

test('depthwise convs follow their width, and a concat sums its operands', () => {
  let shrunk = 0;
  // Without skips: with them, the depthwise conv's group is tied to the (unshrinkable) stem.
  for (const spec of sample(MINI_SHUFFLE, 5, 300, { skip: false })) {
    assert.deepEqual(checkSpec(spec), [], spec.name);
    for (const id of ['a.dw', 'b.dw']) {
      const dw = conv(spec, id);
      if (dw.type === 'conv') assert.equal(dw.groups, dw.out, `${spec.name}: ${id}`);
    }
    const concatWidth = conv(spec, 'a.conv3').out + conv(spec, 'stem').out;
    assert.equal(conv(spec, 'b.conv3').out, concatWidth, spec.name);
    if (conv(spec, 'a.dw').groups !== 12) shrunk++;
  }
  assert.ok(shrunk > 0, 'some candidates shrink the depthwise conv');
});

test('ShuffleNetV2 chunks: each unit of a stage follows the width of the stage, every candidate is valid', () => {
  // Without skips the stride-2 unit's two branches are free (even: each stride-1 unit takes half
  // of their sum); with skips every half-width tensor of the stage is tied, so one group is left.
  const expected: [boolean, [string, number, number][]][] = [
    [false, [['stem.out', 6, 1], ['a.b1.conv.out', 8, 2], ['a.b2.conv1.out', 8, 2], ['head.out', 32, 1]]],
    [true, [['stem.out', 6, 1], ['a.b1.conv.out', 8, 1], ['head.out', 32, 1]]],
  ];
  const { removable } = buildSearchSpace(MINI_SHUFFLE_V2);
  assert.ok(removable.includes('stem.relu') && removable.includes('head.relu'), 'relu6 is removable as relu is');
  assert.ok(!removable.some((id) => id.endsWith('.x1') || id.endsWith('.x2')), 'a chunk changes the channels: not removable');
  for (const [skip, groups] of expected) {
    assert.deepEqual(buildSearchSpace(MINI_SHUFFLE_V2, { skip }).groups.map((g) => [g.id, g.width, g.divisor]), groups);
    const widths = new Set<number>();
    for (const spec of sample(MINI_SHUFFLE_V2, 8, 500, { skip })) {
      assert.deepEqual(checkSpec(spec), [], spec.name);
      const shapes = inferShapes(spec).byId;
      const stage = shapes.get('a.concat')!.shape[0];
      for (const unit of ['b', 'c']) {
        assert.equal(shapes.get(`${unit}.relu2`)!.shape[0], stage / 2, `${spec.name}: ${unit}`);
        assert.equal(shapes.get(`${unit}.concat`)!.shape[0], stage, `${spec.name}: ${unit}`);
        assert.deepEqual(layer(spec, `${unit}.x2`), { ...layer(MINI_SHUFFLE_V2, `${unit}.x2`), inputs: layer(spec, `${unit}.x2`).inputs }, 'a chunk is neither removed nor changed');
      }
      widths.add(stage);
    }
    assert.ok(widths.size > 3, `stage widths sampled: ${[...widths]}`);
  }
});

test('squeeze-and-excitation: activations and whole blocks are removable, the squeeze width is its own group, the gate follows the channels it multiplies', () => {
  const space = buildSearchSpace(MINI_SE);
  assert.deepEqual(space.gates, [
    { id: 'a.se.scale', x: 'a.act', branch: ['a.se.avg', 'a.se.fc1', 'a.se.act', 'a.se.fc2', 'a.se.gate'] },
    { id: 'b.se.scale', x: 'b.act', branch: ['b.se.avg', 'b.se.fc1', 'b.se.act', 'b.se.fc2', 'b.se.gate'] },
  ]);
  // Activations, batchnorms, the depthwise conv and the 8 -> 8 projection keep their tensors; a gate's layers go only with their block.
  assert.deepEqual(space.removable, ['stem.bn', 'stem.act', 'a.dw', 'a.bn1', 'a.act', 'a.project', 'a.bn2', 'b.bn1', 'b.act', 'b.tanh', 'a.se.scale', 'b.se.scale']);
  const gateLayers = new Set(space.gates.flatMap((g) => g.branch));
  assert.ok(!space.skipCandidates.some(([from, to]) => gateLayers.has(from) || gateLayers.has(to) || to.endsWith('.scale')), 'no skip touches a gate or goes into a mul');
  assert.ok(space.skipCandidates.some(([from, to]) => from === 'a.act' && to === 'a.project'), 'a skip may go around a block');
  // The stem's 8 channels run through the first block and its gate; each squeeze width is its own group.
  assert.deepEqual(space.groups.map((g) => [g.id, g.width]), [['stem.out', 8], ['a.se.fc1.out', 2], ['b.expand.out', 12], ['b.se.fc1.out', 4]]);
  const shrunk = applyAction(space, { remove: [], shrink: { 'stem.out': 5, 'a.se.fc1.out': 1, 'b.expand.out': 7 }, skip: [] });
  const shapes = inferShapes(shrunk).byId;
  assert.deepEqual(['a.se.fc1', 'a.se.fc2', 'a.se.scale', 'b.se.fc1', 'b.se.fc2', 'b.se.scale'].map((id) => shapes.get(id)!.shape[0]), [1, 5, 5, 4, 7, 7]);
  // A removed block: the mul is the identity of its features, the gate's layers are gone.
  const removed = applyAction(space, { remove: ['a.se.scale', 'b.act'], shrink: {}, skip: [] });
  assert.deepEqual(checkSpec(removed), []);
  assert.deepEqual(layer(removed, 'a.se.scale'), { id: 'a.se.scale', type: 'identity', inputs: ['a.act'] });
  assert.ok(!removed.layers.some((l) => l.id.startsWith('a.se.') && l.id !== 'a.se.scale'));
  assert.deepEqual(layer(removed, 'b.act'), { id: 'b.act', type: 'identity' });
  assert.equal(inferShapes(removed).params, inferShapes(MINI_SE).params - (8 * 2 + 2 + 2 * 8 + 8));
  let blocksRemoved = 0;
  for (const spec of sample(MINI_SE, 4, 300)) {
    assert.deepEqual(checkSpec(spec), [], spec.name);
    blocksRemoved += (spec.candidate!.action as Action).remove.filter((id) => id.endsWith('.scale')).length;
  }
  assert.ok(blocksRemoved > 50, `${blocksRemoved} blocks removed in 300 candidates`);
});

test('a removed layer becomes identity with the same id and inputs; skips are summed with existing inputs', () => {
  const space = buildSearchSpace(FIVE_LAYER_DAG);
  assert.deepEqual(space.removable, ['bn', 'c2', 'sum']);
  // head reads sum's 4x8x8 output, which c1, bn and c2 also give.
  assert.deepEqual(space.skipCandidates, [['c1', 'c2'], ['bn', 'sum'], ['c1', 'head'], ['bn', 'head'], ['c2', 'head']]);
  const spec = applyAction(space, { remove: ['sum'], shrink: {}, skip: [['c1', 'c2']] });
  assert.deepEqual(layer(spec, 'sum'), { id: 'sum', type: 'identity', inputs: ['c2', 'c1'] });
  assert.deepEqual(layer(spec, 'c2').inputs, ['bn', 'c1']);
  assert.deepEqual(checkSpec(spec), []);
});

test('the ablations switch operators off: removal only, removal + shrink', () => {
  for (const spec of sample(RESNET_MINI, 11, 100, { shrink: false, skip: false })) {
    const action = spec.candidate!.action as Action;
    assert.deepEqual([action.shrink, action.skip, action.p3], [{}, [], undefined]);
    spec.layers.forEach((l, i) => assert.ok(l.type === 'identity' || JSON.stringify(l) === JSON.stringify(RESNET_MINI.layers[i])));
  }
  const specs = sample(RESNET_MINI, 11, 100, { skip: false });
  assert.ok(specs.every((s) => (s.candidate!.action as Action).skip.length === 0));
  assert.ok(specs.some((s) => Object.keys((s.candidate!.action as Action).shrink).length > 0));
  const space = buildSearchSpace(RESNET_MINI, { removal: false });
  assert.ok(sample(RESNET_MINI, 11, 50, { removal: false }).every((s) => (s.candidate!.action as Action).remove.length === 0));
  assert.throws(() => applyAction(space, { remove: ['bn1'], shrink: {}, skip: [] }), UserError);
});

test('the same seed gives the same candidates; other seeds give others', () => {
  const names = (seed: number) => sample(MINI_SHUFFLE, seed, 20).map((s) => s.name);
  assert.deepEqual(names(42), names(42));
  assert.notDeepEqual(names(42), names(43));
});

test('a candidate is regenerated from its teacher and its recorded action, even after a JSON round trip', () => {
  const space = buildSearchSpace(RESNET_MINI);
  const rng = new Rng(9);
  for (let i = 0; i < 20; i++) {
    const { action, spec } = sampleCandidate(space, rng);
    assert.match(spec.name, /^resnet-mini-mnist-c[0-9a-f]{8}$/);
    assert.deepEqual(spec.candidate, { teacher: RESNET_MINI.name, action });
    const recorded = JSON.parse(JSON.stringify(spec.candidate!.action)) as Action;
    assert.deepEqual(applyAction(space, recorded), spec);
  }
});

test('shrinking with removal and skips keeps every candidate smaller; widths are max(1, floor((1 - r) F))', () => {
  const space = buildSearchSpace(RESNET_MINI, { removal: false, skip: false });
  const rng = new Rng(1);
  for (let i = 0; i < 50; i++) {
    const { action, spec } = sampleCandidate(space, rng);
    for (const [id, width] of Object.entries(action.shrink)) {
      const group = space.groups.find((g) => g.id === id)!;
      assert.ok(Number.isInteger(width) && width >= 1 && width < group.width);
    }
    assert.ok(inferShapes(spec).params <= space.teacherParams);
  }
});

test('actions the space cannot make are UserErrors that name the problem', () => {
  const space = buildSearchSpace(MINI_SHUFFLE);
  const none: Action = { remove: [], shrink: {}, skip: [] };
  const cases: [Partial<Action>, RegExp][] = [
    [{ remove: ['fc'] }, /'fc' cannot be removed/],
    [{ remove: ['nope'] }, /'nope' cannot be removed/],
    [{ shrink: { 'stem.out': 3 } }, /multiple of 6/],
    [{ shrink: { 'stem.out': 12 } }, /between 6 and 6/],
    [{ shrink: { 'b.dw.out': 2 } }, /'b.dw.out' is not a shrink group/],
    [{ skip: [['fc', 'stem']] }, /no skip connection can go from 'fc' to 'stem'/],
    [{ remove: ['b.shuffle'], skip: [['a.conv3', 'b.shuffle']] }, /removed layer 'b.shuffle'/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => applyAction(space, { ...none, ...change }), (err: unknown) => err instanceof UserError && message.test(err.message), JSON.stringify(change));
  }
});

test('edgeWindow caps the distance of skip candidates', () => {
  const all = buildSearchSpace(RESNET_MINI).skipCandidates;
  const near = buildSearchSpace(RESNET_MINI, { edgeWindow: 3 }).skipCandidates;
  const position = new Map(RESNET_MINI.layers.map((l, i) => [l.id, i]));
  assert.ok(near.length > 0 && near.length < all.length);
  assert.ok(near.every(([from, to]) => position.get(to)! - position.get(from)! <= 3));
});

test('candidateKey: same structure, same key, whatever the name, origin, sum order or spelled-out defaults', () => {
  const base = FIVE_LAYER_DAG;
  const renamed: ArchitectureSpec = { ...base, name: 'other', description: 'x', candidate: { teacher: 't', action: {} } };
  const swapped: ArchitectureSpec = { ...base, layers: base.layers.map((l) => (l.id === 'sum' ? { ...l, inputs: ['c1', 'c2'] } : l)) };
  const spelled: ArchitectureSpec = { ...base, layers: base.layers.map((l) => (l.id === 'c1' ? { ...l, stride: 1, groups: 1, bias: true, in: 3 } : l)) };
  const relabelled: ArchitectureSpec = {
    ...base,
    layers: base.layers.map((l) => ({ ...l, id: `x${l.id}`, ...(l.inputs && { inputs: l.inputs.map((s) => `x${s}`) }) })),
  };
  for (const same of [renamed, swapped, spelled, relabelled]) assert.equal(candidateKey(same), candidateKey(base));
  const wider: ArchitectureSpec = { ...base, layers: base.layers.map((l) => (l.id === 'c2' ? { ...l, groups: 1 } : l)) };
  assert.notEqual(candidateKey(wider), candidateKey(base));
  const concatSwapped: ArchitectureSpec = {
    ...MINI_SHUFFLE,
    layers: MINI_SHUFFLE.layers.map((l) => (l.id === 'a.concat' ? { ...l, inputs: ['a.pool', 'a.conv3'] } : l)),
  };
  assert.notEqual(candidateKey(concatSwapped), candidateKey(MINI_SHUFFLE));
});
