import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameTensor } from '../../engine/space/compatibility';
import { buildSearchSpace, sampleCandidate, SearchSpace } from '../../engine/space/space';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec, INPUT_ID, Layer } from '../../engine/architecture/types';
import { checkSpec } from '../../engine/architecture/validate';
import { Rng } from '../../engine/util/rng';
import { ZooDataset, ZooName, zooTeacher } from '../../engine/zoo/index';

const TEACHERS: [ZooName, ZooDataset][] = [
  ['vgg19', 'cifar100'],
  ['resnet18', 'cifar100'],
  ['resnet34', 'cifar100'],
  ['shufflenet-1x-g2', 'cifar100'],
  ['resnet-mini', 'mnist'],
  ['vgg-mini', 'mnist'],
];

// The table in docs/reference-implementation.md: removable layers and skip-connection candidates.
const AUTHORS: Partial<Record<ZooName, { removable: number; pairs: number }>> = {
  vgg19: { removable: 44, pairs: 294 },
  resnet18: { removable: 50, pairs: 465 },
  resnet34: { removable: 98, pairs: 1605 },
  'shufflenet-1x-g2': { removable: 114, pairs: 2028 },
};

// Our skip candidates: the pairs a skip may really be added to.
const OURS: Partial<Record<ZooName, number>> = { vgg19: 240, resnet18: 398, resnet34: 1482, 'shufflenet-1x-g2': 1852 };

/**
 * The authors' count, rebuilt from ours. Their table counts every pair i < j with i's output
 * shape equal to j's input shape, which also takes in (1) the teacher's own edges (adding one
 * would only sum a tensor with itself) and (2) pairs into concat layers, whose input shape their
 * code takes from the first operand; skips never go into concat, so neither is a candidate here.
 */
function authorsPairCount(space: SearchSpace): number {
  const existing = space.tensors.filter((t) => t.type !== 'concat').reduce((n, t) => n + t.sources.filter((s) => s !== INPUT_ID).length, 0);
  const byId = new Map(space.tensors.map((t) => [t.id, t]));
  const intoConcat = space.tensors
    .filter((t) => t.type === 'concat')
    .reduce((n, concat) => {
      const firstOperand = byId.get(concat.sources[0])!.output;
      return n + space.tensors.filter((t) => t.position < concat.position && sameTensor(t.output, firstOperand)).length;
    }, 0);
  return space.skipCandidates.length + existing + intoConcat;
}

for (const [name, authors] of Object.entries(AUTHORS) as [ZooName, { removable: number; pairs: number }][]) {
  test(`${name}: removable layers and skip candidates match the authors' counts`, () => {
    const space = buildSearchSpace(zooTeacher(name, 'cifar100'));
    assert.equal(space.removable.length, authors.removable);
    assert.equal(space.skipCandidates.length, OURS[name]);
    assert.equal(authorsPairCount(space), authors.pairs);
  });
}

for (const [name, dataset] of TEACHERS) {
  const teacher = zooTeacher(name, dataset);

  test(`${name}: 2,000 candidates are valid, smaller than the teacher, and show every operator`, () => {
    const space = buildSearchSpace(teacher);
    const rng = new Rng(7);
    const seen = { removal: 0, shrink: 0, skip: 0 };
    for (let i = 0; i < 2000; i++) {
      const { spec } = sampleCandidate(space, rng);
      assert.deepEqual(checkSpec(spec), [], `${spec.name} is invalid`);
      const params = inferShapes(spec).params;
      assert.ok(params < space.teacherParams, `${spec.name}: ${params} params, teacher ${space.teacherParams}`);
      const effects = operatorEffects(teacher, spec);
      for (const key of Object.keys(seen) as (keyof typeof seen)[]) if (effects[key]) seen[key]++;
    }
    assert.ok(seen.removal > 0 && seen.shrink > 0 && seen.skip > 0, `operators seen: ${JSON.stringify(seen)}`);
  });
}

/** What the candidate's layers show, compared with the teacher's (not what its action says). */
function operatorEffects(teacher: ArchitectureSpec, candidate: ArchitectureSpec): { removal: boolean; shrink: boolean; skip: boolean } {
  const before = new Map(teacher.layers.map((l) => [l.id, l]));
  const width = (l: Layer) => (l.type === 'conv' || l.type === 'linear' ? l.out : undefined);
  const inputs = (l: Layer) => l.inputs?.length ?? 1;
  let removal = false;
  let shrink = false;
  let skip = false;
  for (const layer of candidate.layers) {
    const old = before.get(layer.id)!;
    if (layer.type === 'identity' && old.type !== 'identity') removal = true;
    if (layer.type === old.type && width(layer)! < width(old)!) shrink = true;
    if (inputs(layer) > inputs(old)) skip = true;
  }
  return { removal, shrink, skip };
}
