// The in-host e2e suite (test/e2e/in-host) in a desktop VS Code, downloaded and started by
// @vscode/test-electron, for machines that can reach Microsoft's update server (CI cannot: it
// runs the same suite in code-server, test/e2e/e2e.test.ts). The extension runs from this
// checkout (built first) rather than from a .vsix.
//
//   node --import tsx scripts/e2e-electron.mjs      (VSCODE_VERSION=1.100.3 to pin a version)
// (tsx loads the suite's TypeScript modules.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function loadTestElectron() {
  try {
    return createRequire(import.meta.url)('@vscode/test-electron');
  } catch {
    console.error('scripts/e2e-electron.mjs needs @vscode/test-electron, which is not installed: npm install --save-dev @vscode/test-electron');
    process.exit(1);
  }
}

const { runTests } = loadTestElectron();
const [{ bundleHostSuite }, { writeWorkspace }] = await Promise.all([import('../test/e2e/host-suite.ts'), import('../test/e2e/workspace.ts')]).catch((err) => {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  console.error('scripts/e2e-electron.mjs loads TypeScript: run it as node --import tsx scripts/e2e-electron.mjs');
  process.exit(1);
});

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const scratch = mkdtempSync(join(tmpdir(), 'esnac-e2e-electron-'));
let exitCode = 1;
try {
  const workspace = join(scratch, 'workspace');
  mkdirSync(workspace);
  writeWorkspace(workspace, ROOT);
  const extensionTestsPath = await bundleHostSuite(join(scratch, 'in-host'));
  await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(scratch, 'user-data')],
  });
  exitCode = 0;
} catch (err) {
  console.error(`the in-host suite failed in VS Code: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(exitCode);
