// The packaged extension (vsix) decodes images: sharp, its dependencies and this platform's
// binaries travel inside it (scripts/build.mjs copies them to dist/node_modules, .vscodeignore
// keeps them). Packaged with the package script's vsce command from the built dist/, unpacked
// as VS Code does (a zip), and sharp loaded from the unpacked bundles' folder by a plain node,
// far from this repository's node_modules.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'esnac-vsix-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Run beside the bundles (extension/dist), as their require('sharp') resolves: a 7x5 PNG, decoded and resized to 4x4. */
const PROBE = `
const sharp = require('sharp');
const where = require.resolve('sharp');
const pixels = Buffer.alloc(7 * 5 * 3, 200);
sharp(pixels, { raw: { width: 7, height: 5, channels: 3 } }).png().toBuffer()
  .then((png) => sharp(png, { failOn: 'error' }).resize(4, 4, { fit: 'cover' }).raw().toBuffer({ resolveWithObject: true }))
  .then(({ data, info }) => console.log(JSON.stringify({ where, width: info.width, height: info.height, channels: info.channels, first: data[0], versions: sharp.versions })));
`;

test('the vsix carries sharp with its platform binaries, and node loads it from the unpacked extension to decode a PNG', { timeout: 300_000 }, (t) => {
  assert.ok(existsSync(join(ROOT, 'dist', 'node_modules', 'sharp', 'package.json')), 'dist/node_modules/sharp is missing: run npm run build first');
  const vsix = join(dir, 'esnac.vsix');
  const packaged = spawnSync('npm', ['run', 'vsix', '--', '--out', vsix], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(packaged.status, 0, `${packaged.stdout}\n${packaged.stderr}`.slice(-4000));
  const unpacked = join(dir, 'unpacked');
  const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', vsix, unpacked], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, unzip.stderr);
  const bundles = join(unpacked, 'extension', 'dist');
  assert.ok(existsSync(join(bundles, 'server.js')), 'the engine bundle is in the package');
  writeFileSync(join(bundles, 'probe-sharp.js'), PROBE);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_PATH' && key !== 'NODE_OPTIONS'));
  const probe = spawnSync(process.execPath, [join(bundles, 'probe-sharp.js')], { cwd: unpacked, encoding: 'utf8', env });
  assert.equal(probe.status, 0, probe.stderr);
  const result = JSON.parse(probe.stdout) as { where: string; width: number; height: number; channels: number; first: number; versions: Record<string, string> };
  assert.ok(result.where.startsWith(join(bundles, 'node_modules', 'sharp')), `sharp loaded from ${result.where}`);
  assert.deepEqual([result.width, result.height, result.channels, result.first], [4, 4, 3, 200]);
  t.diagnostic(`vsix ${(statSync(vsix).size / 2 ** 20).toFixed(1)} MiB; sharp ${result.versions.sharp}, libvips ${result.versions.vips}, ${process.platform}-${process.arch}`);
});
