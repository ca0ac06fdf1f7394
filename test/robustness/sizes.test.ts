// Issue 15, class 9: the sizes a spec may state are sizes esnac handles. Layers past the schema's
// limit, and channel counts whose activations or weights no typed array or wasm heap can hold,
// are refused at validation with a message that says why; the largest spec allowed samples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSpec } from '../../engine/architecture/validate';
import { ArchitectureSpec, Layer } from '../../engine/architecture/types';
import schema from '../../schemas/architecture.schema.json';
import { drawCandidates } from '../../engine/space/draw';
import { buildSearchSpace } from '../../engine/space/space';
import { Rng } from '../../engine/util/rng';

function spec(layers: Layer[], input = { channels: 1, height: 28, width: 28 }, classes = 10): ArchitectureSpec {
  return { format: 'esnac.architecture/v1', name: 'sizes', input, classes, layers } as ArchitectureSpec;
}

const head: Layer[] = [{ id: 'gap', type: 'globalavgpool' } as Layer, { id: 'fc', type: 'linear', out: 10 } as Layer];

test('channel counts the schema allows but nothing can train are refused at validation, naming the layer', () => {
  const cases: Array<[string, ArchitectureSpec, RegExp]> = [
    ['65,536 conv channels on 28x28', spec([{ id: 'wide', type: 'conv', out: 65_536, kernel: 3, padding: 1 } as Layer, ...head]), /layer 'wide' gives 65536x28x28 = 51,380,224 values per example; esnac trains at most 16,777,216/],
    ['1,048,576 input channels', spec(head, { channels: 1_048_576, height: 28, width: 28 }), /the input is 1048576x28x28 = 822,083,584 values per example/],
    ['a linear of 1,048,576 x 1,048,576', spec([{ id: 'gap', type: 'globalavgpool' } as Layer, { id: 'a', type: 'linear', out: 1_048_576 } as Layer, { id: 'b', type: 'linear', out: 1_048_576 } as Layer, { id: 'fc', type: 'linear', out: 10 } as Layer]), /layer 'b' has 1,099,512,676,352 weights; esnac trains at most 268,435,456 per layer/],
    ['1,048,576 classes from 4,096 features', spec([{ id: 'gap', type: 'globalavgpool' } as Layer, { id: 'f', type: 'linear', out: 4096 } as Layer, { id: 'fc', type: 'linear', out: 1_048_576 } as Layer], undefined, 1_048_576), /layer 'fc' has 4,296,015,872 weights/],
  ];
  for (const [what, s, message] of cases) {
    const issues = checkSpec(s);
    assert.equal(issues.length, 1, `${what}: ${JSON.stringify(issues)}`);
    assert.match(issues[0].message, message, what);
  }
  assert.deepEqual(checkSpec(spec([{ id: 'c', type: 'conv', out: 4096, kernel: 3, padding: 1 } as Layer, ...head])), [], '4,096 channels are fine');
});

test('the largest number of layers allowed validates and samples; one more is refused', () => {
  const max = schema.properties.layers.maxItems;
  const chain = (n: number) => spec([...Array.from({ length: n - 2 }, (_, i) => (i % 2 === 0 ? ({ id: `c${i}`, type: 'conv', out: 4, kernel: 3, padding: 1 } as Layer) : ({ id: `r${i}`, type: 'relu' } as Layer))), ...head], { channels: 1, height: 8, width: 8 });
  assert.deepEqual(checkSpec(chain(max)), []);
  assert.equal(drawCandidates(buildSearchSpace(chain(max)), new Rng(0), 2).length, 2);
  assert.match(checkSpec(chain(max + 1))[0].message, new RegExp(`has ${max + 1} layers; the limit is ${max}`));
});
