import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { candidateKey } from '../../engine/space/key';
import { applyAction, buildSearchSpace, mutateAction, sampleAction } from '../../engine/space/space';
import { inferShapes } from '../../engine/architecture/shapes';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';

test('mutated actions make valid candidates that differ from their parent and stay close to it', () => {
  const space = buildSearchSpace(zooTeacher('resnet18', 'cifar10'));
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const parent = sampleAction(space, rng);
    const child = mutateAction(space, parent, rng);
    const spec = applyAction(space, child);
    assert.deepEqual(inferShapes(spec).issues, []);
    assert.notEqual(candidateKey(spec), candidateKey(applyAction(space, parent)));
    const removedChanges = parent.remove.filter((id) => !child.remove.includes(id)).length + child.remove.filter((id) => !parent.remove.includes(id)).length;
    assert.ok(removedChanges < space.removable.length / 4, `a neighbour, not a new draw (${removedChanges} removals changed)`);
  }
});

test('mutation respects switched-off operators', () => {
  const space = buildSearchSpace(zooTeacher('vgg-mini', 'mnist'), { shrink: false, skip: false });
  const rng = new Rng(4);
  for (let i = 0; i < 20; i++) {
    const child = mutateAction(space, sampleAction(space, rng), rng);
    assert.deepEqual(child.shrink, {});
    assert.deepEqual(child.skip, []);
  }
});
