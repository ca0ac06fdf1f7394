// Backend selection: the ranking falls back past the native packages that cannot install here,
// ESNAC_BACKEND and the option force a backend, and the wasm binaries are found from an esbuild
// bundle as well as from source.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_ENV_VAR, initBackend, isGpuBackend } from '../../engine/backend/index';
import { UserError } from '../../engine/util/errors';

const REPO_ROOT = path.resolve(__dirname, '../..');

function isInstalled(packageName: string): boolean {
  try {
    require.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

const nativeInstalled = isInstalled('@tensorflow/tfjs-node') || isInstalled('@tensorflow/tfjs-node-gpu');
const skipUnlessNativeMissing = nativeInstalled && 'a native TensorFlow package is installed on this machine';

afterEach(() => {
  delete process.env[BACKEND_ENV_VAR];
});

test('auto picks wasm and says why native TensorFlow was skipped', { skip: skipUnlessNativeMissing }, async () => {
  const listeners = process.listeners('unhandledRejection').length + process.listeners('uncaughtException').length;
  const info = await initBackend();
  // Starting wasm must not leave Emscripten's rethrowing process listeners behind.
  assert.equal(process.listeners('unhandledRejection').length + process.listeners('uncaughtException').length, listeners);
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.tfjsVersion, tf.version_core);
  assert.match(info.detail, /^wasm \((SIMD|no SIMD), esnac training kernels\)$/);
  assert.deepEqual(info.skipped.map((s) => s.name), ['tensorflow', 'tensorflow', 'webgpu']);
  assert.match(info.skipped[0].reason, /not installed.*@tensorflow\/tfjs-node-gpu/);
  assert.match(info.skipped[1].reason, /not installed.*@tensorflow\/tfjs-node\b/);
  assert.match(info.skipped[2].reason, /^(not installed|no WebGPU adapter|software adapter)/);
  assert.equal(isGpuBackend(info.name), false);
});

test('asking again gives the same answer and restores the backend', { skip: skipUnlessNativeMissing }, async () => {
  const first = await initBackend('auto');
  await tf.setBackend('cpu');
  const [second, third] = await Promise.all([initBackend('auto'), initBackend()]);
  assert.equal(second, first);
  assert.equal(third, first);
  assert.equal(tf.getBackend(), 'wasm');
});

test('ESNAC_BACKEND=cpu forces cpu', async () => {
  process.env[BACKEND_ENV_VAR] = 'cpu';
  const info = await initBackend();
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(info.skipped.map((s) => s.name), ['tensorflow', 'tensorflow', 'webgpu', 'wasm']);
  assert.ok(info.skipped.every((s) => s.reason.includes('forced to cpu')));
});

test('the option wins over the environment variable', async () => {
  process.env[BACKEND_ENV_VAR] = 'cpu';
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('an unknown ESNAC_BACKEND is a UserError listing the choices', async () => {
  process.env[BACKEND_ENV_VAR] = 'tpu';
  await assert.rejects(initBackend(), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /ESNAC_BACKEND=tpu .*tensorflow, webgpu, wasm, cpu/);
    return true;
  });
});

test('forcing a backend that cannot load is a UserError saying why', { skip: skipUnlessNativeMissing }, async () => {
  await assert.rejects(initBackend('tensorflow'), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /'tensorflow' .*cannot load: not installed.*tfjs-node-gpu.*; not installed.*tfjs-node/);
    return true;
  });
});

test('wasm loads from an esbuild bundle with node_modules external', { skip: skipUnlessNativeMissing }, async () => {
  const bundle = await esbuild.build({
    stdin: {
      contents: "import { initBackend } from './engine/backend/index'; initBackend().then((i) => console.log(JSON.stringify(i)));",
      resolveDir: REPO_ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  // Run from the repository root so that the bundle's require() finds node_modules as dist/ would.
  const run = spawnSync(process.execPath, ['-'], { input: bundle.outputFiles[0].text, cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const info = JSON.parse(run.stdout.trim().split('\n').pop()!);
  assert.equal(info.name, 'wasm');
  // Nothing of the backends passed over reaches the terminal: Dawn writes warnings about a
  // software driver from native code where a WebGPU adapter is probed.
  assert.equal(run.stderr, '');
});
