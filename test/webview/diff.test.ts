// The graph diff: teacher and a generated candidate in one graph, statuses from engine/architecture/diff.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffSpecs } from '../../engine/architecture/diff';
import { buildSearchSpace, sampleCandidate } from '../../engine/space/index';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo/index';
import { buildDiffModel } from '../../extension/view-models/diff';
import { buildGraphModel } from '../../extension/view-models/graph';

const teacher = zooTeacher('resnet18', 'cifar10');
const space = buildSearchSpace(teacher);

test('a candidate diffs against its teacher with every removal, shrink and skip marked', () => {
  const rng = new Rng(7);
  let checked = 0;
  for (let i = 0; i < 20; i++) {
    const { action, spec } = sampleCandidate(space, rng);
    const { graph, summary } = buildDiffModel(teacher, spec);
    const status = new Map(graph.nodes.map((n) => [n.id, n.status]));

    assert.equal(graph.nodes.length, teacher.layers.length, 'candidates keep every id');
    for (const id of action.remove) {
      assert.equal(status.get(id), 'removed', id);
      assert.equal(graph.nodes.find((n) => n.id === id)!.change, 'now identity');
    }
    const added = graph.edges.filter((e) => e.status === 'added').map((e) => [e.from, e.to]);
    assert.deepEqual(added.sort(), action.skip.map(([from, to]) => [from, to]).sort());
    assert.equal(summary.addedEdges, action.skip.length);
    assert.equal(summary.removed, action.remove.length);

    const shrunkConvs = diffSpecs(teacher, spec).channels.map((c) => c.id);
    for (const id of shrunkConvs) {
      const node = graph.nodes.find((n) => n.id === id)!;
      assert.equal(node.status, 'shrunk', id);
      assert.match(node.change!, /\d+ → \d+/);
    }
    if (Object.keys(action.shrink).length > 0) assert.ok(shrunkConvs.length > 0, 'a shrunk group changes some conv');
    assert.equal(summary.student.params, buildGraphModel(spec).params);
    checked += action.remove.length + action.skip.length + shrunkConvs.length;
  }
  assert.ok(checked > 0, 'the samples exercise some changes');
});

test('the student edges keep their ports, and a new skip takes the next operand port', () => {
  const { spec, action } = sampleCandidate(buildSearchSpace(teacher, { removal: false, shrink: false, p3Choices: [0.5] }), new Rng(3));
  assert.ok(action.skip.length > 0);
  const { graph } = buildDiffModel(teacher, spec);
  const [from, to] = action.skip[0];
  const edge = graph.edges.find((e) => e.from === from && e.to === to)!;
  const teacherInputs = buildGraphModel(teacher).edges.filter((e) => e.to === to).length;
  assert.ok(edge.port >= teacherInputs, 'after the operands the teacher had');
  const ports = graph.edges.filter((e) => e.to === to).map((e) => e.port);
  assert.equal(new Set(ports).size, ports.length, 'no two edges share a port');
});

test('a teacher diffed with itself is all unchanged', () => {
  const { graph, summary } = buildDiffModel(teacher, teacher);
  assert.ok(graph.nodes.every((n) => n.status === 'unchanged'));
  assert.ok(graph.edges.every((e) => e.status === 'unchanged'));
  assert.equal(summary.timesSmaller, 1);
});
