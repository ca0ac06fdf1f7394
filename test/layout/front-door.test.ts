// The library's front door: package.json "exports" names the bundle of engine/index.ts (npm run
// build writes it), and through it a spec loads, checks and gets a search space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as esnac from '../../engine/index';
import { ROOT } from './imports';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };

test('package.json exports the library bundle, whose API works from a spec file to a search space', async () => {
  const entry = manifest.exports['.'];
  assert.equal(entry.types, './engine/index.ts');
  const library = createRequire(join(ROOT, 'package.json'))(join(ROOT, entry.default)) as typeof esnac;
  for (const name of ['loadSpecFile', 'checkSpecText', 'buildSearchSpace', 'compress', 'importOnnxFile', 'exportSpecFile', 'DEFAULT_SETTINGS'] as const) {
    assert.ok(library[name] !== undefined, name);
  }
  const spec = await library.loadSpecFile(join(ROOT, 'examples/teachers/resnet-mini-mnist.arch.yaml'));
  assert.equal(library.buildSearchSpace(spec).teacherParams, library.inferShapes(spec).params);
  assert.match(library.checkSpecText('name: [', 'broken.arch.yaml').problems[0].message, /./);
});
