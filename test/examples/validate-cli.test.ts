// Every file under examples/ passes `esnac validate`, run as a user runs it (the built CLI).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return specFiles(path);
    return /\.arch\.(json|ya?ml)$/.test(entry.name) ? [path] : [];
  });
}

test('esnac validate accepts every spec under examples/', () => {
  const files = specFiles(join(ROOT, 'examples'));
  assert.ok(files.length >= 13, `found ${files.length} example specs`);
  const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'esnac.js'), 'validate', ...files], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  assert.equal(lines.length, files.length, out);
  for (const file of files) assert.ok(lines.some((l) => l.startsWith(`${file}: `)), `a summary line for ${file}`);
});
