// One esbuild context per bundle. Node bundles keep node_modules external: the CLI and the
// engine run next to an installed package; the extension package (vsix) carries its own.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');

const nodeBundles = [
  { in: 'engine/cli/main.ts', out: 'cli' },
  { in: 'engine/train/worker.ts', out: 'train-worker' },
];

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
    logLevel: 'warning',
  }),
];

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
