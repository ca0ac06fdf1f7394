// The in-host suite as one CommonJS file, the form an extensionTestsPath must take: esbuild
// bundles it with the engine modules it checks runs with, leaving `vscode` to the host.
import { build } from 'esbuild';
import { join } from 'node:path';

/** Writes <outDir>/index.js (exports run(): Promise<void>) and returns its path. */
export async function bundleHostSuite(outDir: string): Promise<string> {
  const outfile = join(outDir, 'index.js');
  await build({
    entryPoints: [join(__dirname, 'in-host', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    // jsonc-parser's CommonJS build requires its parts dynamically; its ES module build bundles.
    mainFields: ['module', 'main'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return outfile;
}
