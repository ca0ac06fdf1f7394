// One esbuild context per bundle. Node bundles keep node_modules external: the CLI and the
// engine run next to an installed package; the extension package (vsix) carries its own.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const watch = process.argv.includes('--watch');

const nodeBundles = [
  { in: 'engine/cli/main.ts', out: 'cli' },
  { in: 'engine/server/main.ts', out: 'server' },
  { in: 'engine/server/search-worker.ts', out: 'search-worker' },
  { in: 'engine/train/worker.ts', out: 'train-worker' },
];

// tfjs-core ships its gradient registrations only as ES modules with extensionless imports,
// which Node cannot require from a CommonJS bundle: bundle that one entry (tfjs keeps its engine
// and registries in globals, so this copy registers into the same tfjs as the external package).
const bundleGradients = {
  name: 'bundle-tfjs-gradients',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, (args) => ({
      path: createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'),
    }));
  },
};

const contexts = [
  await esbuild.context({
    entryPoints: nodeBundles.filter((b) => existsSync(b.in)),
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    packages: 'external',
    plugins: [bundleGradients],
    logLevel: 'warning',
  }),
];

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
