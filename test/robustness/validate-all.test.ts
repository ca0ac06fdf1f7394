// Issue 15, class 10: `esnac validate` reports every independent problem of a file, each at its
// line and column: a schema or graph problem in one layer hides neither the problems of the
// others nor the shape problems of layers that do not read the broken one (those that do are not
// guessed at). The language server publishes the very same problems.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Engine } from '../server/client';

const ROOT = join(import.meta.dirname, '..', '..');
const HEAD = 'format: esnac.architecture/v1\nname: many\ninput: {channels: 1, height: 8, width: 8}\nclasses: 4\nlayers:\n';

/** A spec whose layers are one per line from line 6, and the problems expected: [line, message]. */
interface Variant {
  what: string;
  text: string;
  expected: Array<[line: number, message: RegExp]>;
}

const VARIANTS: Variant[] = [
  {
    what: 'a schema error in one layer, shape errors in two branches beside it; its reader is not guessed at',
    text: `${HEAD}  - {id: a, type: conv, out: 4, kernel: 3, bogus: 1}
  - {id: a2, type: linear, out: 4}
  - {id: b, type: conv, out: 4, kernel: 3, in: 2, inputs: [input]}
  - {id: c, type: maxpool, kernel: 9, inputs: [input]}
  - {id: d, type: flatten, inputs: [input]}
  - {id: e, type: linear, out: 4}
`,
    expected: [
      [6, /layer 'a' has an unknown property 'bogus'/],
      [8, /conv 'b' declares in: 2 but receives 1 channels/],
      [9, /maxpool kernel 9 does not fit the 8x8 input/],
    ],
  },
  {
    what: 'an unknown reference and a duplicate id beside a shape error and a wrong output',
    text: `${HEAD}  - {id: a, type: conv, out: 4, kernel: 3, groups: 3}
  - {id: b, type: relu, inputs: [nowhere]}
  - {id: b, type: relu, inputs: [input]}
  - {id: c, type: globalavgpool, inputs: [input]}
  - {id: d, type: linear, out: 5}
`,
    expected: [
      [6, /groups \(3\) must divide the input channels \(1\)/],
      [7, /layer 'b' reads 'nowhere', which is not a layer id/],
      [8, /duplicate layer id 'b'/],
      [10, /the output layer 'd' gives 5x1x1 but the network has 4 classes/],
    ],
  },
  {
    what: 'a cycle beside a shape error; a missing format and an unknown type besides',
    text: `${HEAD.replace('format: esnac.architecture/v1\n', '')}  - {id: a, type: relu, inputs: [b]}
  - {id: b, type: relu, inputs: [a]}
  - {id: c, type: linear, out: 4, inputs: [input]}
  - {id: d, type: convolution, out: 4}
  - {id: e, type: flatten, inputs: [input]}
  - {id: f, type: linear, out: 4}
`,
    expected: [
      [1, /missing the required property 'format'/],
      [5, /the layers form a cycle: /],
      [7, /linear 'c' needs flat features but receives 1x8x8/],
      [8, /unknown layer type 'convolution'/],
    ],
  },
  {
    what: 'broken classes: the layers are checked, the output against classes is not',
    text: `${HEAD.replace('classes: 4', 'classes: 0')}  - {id: a, type: conv, out: 4, kernel: 30}
  - {id: b, type: flatten, inputs: [input]}
  - {id: c, type: linear, out: 7}
`,
    expected: [
      [4, /classes must be at least 1/],
      [6, /kernel 30 with padding 0 does not fit the 8x8 input/],
    ],
  },
  {
    what: 'a broken input: no shape can be known, only the schema speaks',
    text: `${HEAD.replace('channels: 1', 'channels: 0')}  - {id: a, type: conv, out: 4, kernel: 30}
  - {id: b, type: relu, bogus: 2}
`,
    expected: [
      [3, /input\.channels must be at least 1/],
      [7, /layer 'b' has an unknown property 'bogus'/],
    ],
  },
];

let engine: Engine;
before(async () => {
  engine = await Engine.start();
});
after(async () => {
  await engine.stop();
});

test('validate reports every independent problem with its line and column, and the language server the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-validate-all-'));
  for (const [k, { what, text, expected }] of VARIANTS.entries()) {
    const file = join(dir, `variant-${k}.arch.yaml`);
    writeFileSync(file, text);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', 'validate', file], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 1, what);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, expected.length, `${what}:\n${run.stdout}`);
    lines.forEach((line, i) => {
      const [, at, message] = /^.*?:(\d+):\d+: (.*)$/.exec(line) ?? [];
      assert.equal(Number(at), expected[i][0], `${what}: ${line}`);
      assert.match(message, expected[i][1], what);
    });
    const diagnostics = await engine.open(`file://${file}`, text);
    assert.deepEqual(
      diagnostics.map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`),
      lines,
      `${what}: the language server agrees`,
    );
  }
});
