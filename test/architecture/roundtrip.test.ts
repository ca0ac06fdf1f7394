// JSON <-> YAML round trips keep a spec's meaning: the same value and the same statistics.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { specStats } from '../../engine/architecture/stats';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { checkSpecText } from '../../engine/architecture/validate';
import { formatForPath, specToText } from '../../engine/architecture/write';

function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.arch\.(json|ya?ml)$/.test(name))
    .map((name) => join(dir, name));
}

function parseValid(text: string, fileName: string): ArchitectureSpec {
  const { spec, problems } = checkSpecText(text, fileName);
  assert.deepEqual(problems, [], fileName);
  return spec!;
}

const files = [...specFiles(join(__dirname, 'fixtures')), ...specFiles(join(__dirname, '..', '..', 'examples', 'teachers'))];

test('there are specs in both formats to round-trip', () => {
  assert.ok(files.some((f) => formatForPath(f) === 'json'));
  assert.ok(files.some((f) => formatForPath(f) === 'yaml'));
});

for (const file of files) {
  test(`round trip through the other format: ${file.split(/[\\/]/).slice(-2).join('/')}`, () => {
    const original = parseValid(readFileSync(file, 'utf8'), file);
    const other = formatForPath(file) === 'json' ? 'yaml' : 'json';
    const converted = parseValid(specToText(original, other), `x.arch.${other}`);
    assert.deepEqual(converted, original);
    assert.deepEqual(specStats(converted), specStats(original));
    const back = parseValid(specToText(converted, formatForPath(file)), file);
    assert.deepEqual(back, original);
  });
}
