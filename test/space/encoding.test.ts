import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRow, EncodedArchitecture, encodeArchitecture, ENCODING_TYPES } from '../../engine/space/encoding';
import { buildSearchSpace, sampleCandidate } from '../../engine/space/space';
import { resolveGraph } from '../../engine/architecture/graph';
import { ArchitectureSpec, INPUT_ID } from '../../engine/architecture/types';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo/index';
import { FIVE_LAYER_DAG, MINI_SE, MINI_SHUFFLE, MINI_SHUFFLE_V2 } from './fixtures/specs';

function row(encoded: EncodedArchitecture, r: number): number[] {
  return Array.from(encoded.data.subarray(r * encoded.width, (r + 1) * encoded.width));
}

/** Indices of the ones in a slice of a row. */
function ones(values: number[], start: number, end: number): number[] {
  return values.slice(start, end).flatMap((v, i) => (v === 1 ? [i] : []));
}

test('a 5-layer DAG with a skip: one-hot types, raw attributes, edge offsets in both blocks', () => {
  const encoded = encodeArchitecture(FIVE_LAYER_DAG);
  assert.equal(encoded.rows, 5);
  assert.equal(encoded.width, 272);
  assert.equal(encoded.data.length, 5 * 272);
  const types = ['conv', 'batchnorm', 'conv', 'relu', 'conv'];
  const attributes = [
    [3, 1, 1, 1, 3, 4],
    [0, 0, 0, 0, 0, 0],
    [3, 1, 1, 2, 4, 4],
    [0, 0, 0, 0, 0, 0],
    [8, 1, 0, 1, 4, 4],
  ];
  // Edges: c1->bn, bn->c2, c2->sum, c1->sum (offset 3), sum->head. Element k is offset k + 1.
  const incoming = [[], [0], [0], [0, 2], [0]];
  const outgoing = [[0, 2], [0], [0], [0], []];
  for (let r = 0; r < 5; r++) {
    const values = row(encoded, r);
    assert.deepEqual(ones(values, 0, 10), [ENCODING_TYPES.indexOf(types[r] as (typeof ENCODING_TYPES)[number])], `row ${r} type`);
    assert.deepEqual(values.slice(10, 16), attributes[r], `row ${r} attributes`);
    assert.deepEqual(ones(values, 16, 144), incoming[r], `row ${r} incoming`);
    assert.deepEqual(ones(values, 144, 272), outgoing[r], `row ${r} outgoing`);
    assert.equal(values.reduce((s, v) => s + v, 0), 1 + attributes[r].reduce((s, v) => s + v, 0) + incoming[r].length + outgoing[r].length, `row ${r}: nothing else set`);
  }
});

test('types beyond the authors ten: globalavgpool as a whole-map avgpool, dropout as identity', () => {
  const encoded = encodeArchitecture(MINI_SHUFFLE);
  const rows = new Map(resolveGraph(MINI_SHUFFLE).order.map((e, r) => [e.layer.id, decodeRow(encoded, r)]));
  const expect: Record<string, [string, number[]]> = {
    gap: ['avgpool', [4, 4, 0, 0, 0, 0]],
    drop: ['identity', [0, 0, 0, 0, 0, 0]],
    flat: ['flatten', [0, 0, 0, 0, 0, 0]],
    fc: ['linear', [0, 0, 0, 0, 12, 5]],
    'a.shuffle': ['shuffle', [0, 0, 0, 2, 0, 0]],
    'a.concat': ['concat', [0, 0, 0, 0, 0, 0]],
    'a.pool': ['avgpool', [3, 2, 1, 0, 0, 0]],
    'a.dw': ['conv', [3, 2, 1, 12, 12, 12]],
    'a.bn1': ['batchnorm', [0, 0, 0, 0, 0, 0]],
  };
  for (const [id, [type, attributes]] of Object.entries(expect)) {
    assert.equal(rows.get(id)!.type, type, id);
    assert.deepEqual(rows.get(id)!.attributes, attributes, id);
  }
});

test('relu6 is encoded as relu, a chunk as a shuffle with its k in the groups slot and its edges', () => {
  const encoded = encodeArchitecture(MINI_SHUFFLE_V2);
  const position = new Map(resolveGraph(MINI_SHUFFLE_V2).order.map((e, r) => [e.layer.id, r]));
  const decoded = (id: string) => decodeRow(encoded, position.get(id)!);
  assert.deepEqual([decoded('stem.relu').type, decoded('stem.relu').attributes], ['relu', [0, 0, 0, 0, 0, 0]]);
  for (const id of ['b.x1', 'b.x2']) {
    assert.deepEqual([decoded(id).type, decoded(id).attributes], ['shuffle', [0, 0, 0, 2, 0, 0]], id);
    assert.deepEqual(decoded(id).incoming, [position.get(id)! - position.get('a.shuffle')!], id);
  }
  // The two halves differ in where they go: x1 to the concat, x2 into the branch.
  assert.deepEqual(decoded('b.x1').outgoing, [position.get('b.concat')! - position.get('b.x1')!]);
  assert.deepEqual(decoded('b.x2').outgoing, [1]);
});

test('the new activations are encoded as relu, a mul as identity (the element-wise merge a sum is) with its two incoming edges', () => {
  const encoded = encodeArchitecture(MINI_SE);
  const position = new Map(resolveGraph(MINI_SE).order.map((e, r) => [e.layer.id, r]));
  const decoded = (id: string) => decodeRow(encoded, position.get(id)!);
  for (const id of ['stem.act', 'a.se.gate', 'b.act', 'b.se.gate', 'b.tanh']) assert.deepEqual([decoded(id).type, decoded(id).attributes], ['relu', [0, 0, 0, 0, 0, 0]], id);
  const mul = decoded('a.se.scale');
  assert.equal(mul.type, 'identity');
  assert.deepEqual(mul.incoming.sort((a, b) => a - b), [1, position.get('a.se.scale')! - position.get('a.act')!]);
  // Ceil mode and count_include_pad leave the pooling rows as they were.
  assert.deepEqual([decoded('pool').type, decoded('pool').attributes], ['maxpool', [2, 2, 0, 0, 0, 0]]);
  assert.deepEqual([decoded('b.avg').type, decoded('b.avg').attributes], ['avgpool', [3, 2, 1, 0, 0, 0]]);
});

/** [from, to] row pairs read from one edge block of every row. */
function decodedEdges(encoded: EncodedArchitecture, block: 'incoming' | 'outgoing'): string[] {
  const edges: string[] = [];
  for (let r = 0; r < encoded.rows; r++) {
    const decoded = decodeRow(encoded, r);
    for (const d of decoded[block]) edges.push(block === 'incoming' ? `${r - d}->${r}` : `${r}->${r + d}`);
  }
  return edges.sort();
}

function graphEdges(spec: ArchitectureSpec): string[] {
  const graph = resolveGraph(spec);
  const position = new Map(graph.order.map((e, r) => [e.layer.id, r]));
  return graph.order.flatMap((e, r) => e.inputs.filter((s) => s !== INPUT_ID).map((s) => `${position.get(s)}->${r}`)).sort();
}

test("each teacher's encoding, and its candidates', decode back to the graph's edges", () => {
  for (const teacher of [zooTeacher('resnet34', 'cifar100'), zooTeacher('shufflenet-1x-g2', 'cifar10'), MINI_SHUFFLE, MINI_SHUFFLE_V2]) {
    const space = buildSearchSpace(teacher);
    const rng = new Rng(2);
    for (const spec of [teacher, sampleCandidate(space, rng).spec, sampleCandidate(space, rng).spec]) {
      const encoded = encodeArchitecture(spec);
      assert.equal(encoded.rows, spec.layers.length);
      const edges = graphEdges(spec);
      assert.deepEqual(decodedEdges(encoded, 'incoming'), edges, spec.name);
      assert.deepEqual(decodedEdges(encoded, 'outgoing'), edges, spec.name);
    }
  }
});

test('edges longer than the edge window are dropped from both blocks', () => {
  const encoded = encodeArchitecture(FIVE_LAYER_DAG, { edgeWindow: 2 });
  assert.equal(encoded.width, 16 + 4);
  assert.deepEqual(decodeRow(encoded, 0).outgoing, [1]);
  assert.deepEqual(decodeRow(encoded, 3).incoming, [1]);
});
