// Issue 15, class 4: every file of esnac that something reads later is written whole or not at
// all (engine/util/atomic-write). A scan of the engine's sources for plain writes: each one must
// be a file inside a folder that writeFolderAtomic fills (synced and renamed whole), or one of the
// scratch files listed here with the reason it needs no crash safety.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ENGINE = join(import.meta.dirname, '..', '..', 'engine');

/** Plain writes allowed as they are: file -> why. */
const SCRATCH: Record<string, string> = {
  'latency/command.ts': 'the model for a timing command, in a mkdtemp folder removed once the command ends',
};

const PLAIN_WRITE = /\b(writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream)\s*\(([^,)]*)/g;

/** The plain writes of a source text that are not into a writeFolderAtomic temporary: `call(first argument`. */
function plainWrites(source: string): string[] {
  // The parameter names of the fill callbacks of writeFolderAtomic in this file.
  const temporaries = [...source.matchAll(/writeFolderAtomic\([^]*?\(\s*(\w+)\s*\)\s*=>/g)].map((m) => m[1]);
  const fillers = [...source.matchAll(/function\s+\w+\([^)]*?\b(\w+)\s*:\s*string\)[^{]*\{/g)].map((m) => m[1]);
  const inside = new Set([...temporaries, ...fillers.filter(() => temporaries.length > 0)]);
  return [...source.matchAll(PLAIN_WRITE)]
    .filter((m) => !m[0].startsWith('writeFileAtomic'))
    .filter((m) => ![...inside].some((name) => new RegExp(`^\\s*(join\\(\\s*)?${name}\\b`).test(m[2])))
    .map((m) => `${m[1]}(${m[2]}`);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('the scan finds plain writes: into a run or work folder, appended, streamed; not those into an atomic folder\'s temporary', () => {
  assert.deepEqual(plainWrites("writeFileSync(join(attempt.workDir, 'command.json'), text);"), ["writeFileSync(join(attempt.workDir"]);
  assert.deepEqual(plainWrites('appendFileSync(path, line);'), ['appendFileSync(path']);
  assert.deepEqual(plainWrites('const s = createWriteStream(out);'), ['createWriteStream(out']);
  assert.deepEqual(plainWrites('await writeFile(spec, text);'), ['writeFile(spec']);
  assert.deepEqual(plainWrites("writeFolderAtomic(dir, (temporary) => {\n  writeFileSync(join(temporary, 'a.bin'), data);\n});"), []);
  assert.deepEqual(plainWrites("writeFolderAtomic(dir, (t) => fill(t));\nfunction fill(data: Data, partial: string): void {\n  writeFileSync(join(partial, 'x'), data);\n}"), []);
  assert.deepEqual(plainWrites("writeFolderAtomic(dir, (temporary) => x);\nwriteFileSync(join(other, 'y'), data);"), ["writeFileSync(join(other"]);
});

test('the engine writes files for later reading only whole (engine/util/atomic-write)', () => {
  const found = sources(ENGINE)
    .map((file) => [relative(ENGINE, file), file] as const)
    .filter(([name]) => name !== join('util', 'atomic-write.ts') && !(name in SCRATCH))
    .flatMap(([name, file]) => plainWrites(readFileSync(file, 'utf8')).map((call) => `${name}: ${call}`));
  assert.deepEqual(found, [], 'write these with writeFileAtomic or inside writeFolderAtomic');
  for (const name of Object.keys(SCRATCH)) assert.notDeepEqual(plainWrites(readFileSync(join(ENGINE, name), 'utf8')), [], `${name} still writes plainly (else drop it from SCRATCH)`);
});
