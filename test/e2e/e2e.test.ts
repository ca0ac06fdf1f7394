// The extension as a user meets it: packaged as a .vsix, installed into a fresh code-server (a
// real VS Code with a Node extension host), driven by chromium. The in-host suite
// (test/e2e/in-host) checks diagnostics and a tiny compress run from inside the host; the UI
// checks drive menus, the palette and the webviews. Screenshots go to test-artifacts/e2e/.
//
// Set ESNAC_E2E=0 to skip the stage; ESNAC_E2E_CACHE for where its tools are installed;
// ESNAC_E2E_KEEP=1 keeps its scratch folder (workspace, run, VS Code's state and logs);
// ESNAC_E2E_BREAK=1 renames a command in the installed copy's manifest (the stage must fail).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test, TestContext } from 'node:test';
import type { JournalEvent } from '../../protocol';
import { checkSpecText } from '../../engine/architecture/validate';
import { CodeServerDirs, groupAlive, installExtension, isolatedEnv, prepareDirs, RunningCodeServer, startCodeServer } from './code-server';
import { checkDiffWithTeacherMenus } from './editor-ui';
import { bundleHostSuite } from './host-suite';
import type { HostTestResult } from './in-host/runner';
import { checkRunFlow } from './runs-ui';
import { ensureTools, Tools } from './tools';
import { activeWebview, Browser, explorerMenu, explorerRow, forwardHostConsole, launchBrowser, openWorkbench, Page, pickQuickItem, runCommand, runExplorerMenuItem, waitForCount } from './workbench';
import { checkGraphBlocks } from './graph-blocks';
import { BROKEN_LINE_INDEX, BROKEN_SPEC, BROKEN_TEXT, FIXED_TEXT, OTHER_FILE, RUNS_FOLDER, TEACHER_SPEC, writeWorkspace } from './workspace';

const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
const VSIX = join(ROOT, 'dist', 'esnac.vsix');
const COMPRESS_TITLE = 'Compress architecture';
const HOST_SUITE_TIMEOUT_MS = 10 * 60_000;

test('the e2e workspace: the broken spec has one shape error, on the line the suite expects; its fix has none', () => {
  const broken = checkSpecText(BROKEN_TEXT, BROKEN_SPEC).problems;
  assert.deepEqual(
    broken.map((p) => p.range.start.line),
    [BROKEN_LINE_INDEX],
  );
  assert.deepEqual(checkSpecText(FIXED_TEXT, BROKEN_SPEC).problems, []);
});

test('the extension in a real VS Code (code-server + chromium)', { timeout: 20 * 60_000 }, async (t) => {
  if (process.env.ESNAC_E2E === '0') return t.skip('ESNAC_E2E=0');
  const outcome = ensureTools((line) => t.diagnostic(line));
  if ('skip' in outcome) return t.skip(`cannot run here: ${outcome.skip}`);
  const { tools } = outcome;
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'esnac-e2e-'));
  const stage = new Stage(t, tools, scratch);
  try {
    await stage.run();
  } finally {
    await stage.stop();
    if (process.env.ESNAC_E2E_KEEP === '1') t.diagnostic(`kept the scratch folder ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  await stage.checkStopped();
});

/** One e2e run: its scratch folders, its server, and the steps, each a node:test subtest. */
class Stage {
  private readonly workspace: string;
  private readonly dirs: CodeServerDirs;
  private server?: RunningCodeServer;
  private browser?: Browser;
  private prerequisiteFailed = false;
  private shots = 0;

  constructor(
    private readonly t: TestContext,
    private readonly tools: Tools,
    private readonly scratch: string,
  ) {
    this.workspace = join(scratch, 'workspace');
    mkdirSync(this.workspace);
    writeWorkspace(this.workspace, ROOT);
    this.dirs = prepareDirs(scratch);
  }

  async run(): Promise<void> {
    await this.prerequisite('package the extension (npm run package -> dist/esnac.vsix)', () => packageExtension());
    await this.prerequisite('install the .vsix into a fresh code-server and start it', () => this.startServer());
    await this.hostSuite();
    await this.ui('the explorer offers Compress architecture on a spec, where it asks its first question, and not on another file', (page) => this.checkExplorerMenus(page));
    await this.ui('Preview architecture draws one graph node per layer of the spec', (page) => this.checkPreview(page));
    await this.ui('collapsing the blocks of resnet34 draws fewer nodes; expanding them draws every layer again', (page) => checkGraphBlocks(page, this.workspace, (name) => this.screenshot(page, name)));
    await this.ui('Diff with teacher is in the context menu of a student and not of its teacher', (page) => checkDiffWithTeacherMenus(page, this.server!.url, this.workspace, (name) => this.screenshot(page, name)));
    const noRun = existsSync(join(this.workspace, RUNS_FOLDER)) ? undefined : 'the in-host suite made no run';
    await this.ui('the dashboard of the finished run lists the journal\'s candidates', (page) => this.checkDashboard(page), noRun);
    await this.ui('the Runs view follows a live run and a killed one; the notification shows the teacher training, Cancel stops it', (page) => checkRunFlow(page, this.workspace, (name) => this.screenshot(page, name)));
  }

  /** Stops everything and keeps VS Code's logs (the extension host's and esnac's) with the screenshots. */
  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.server?.stop();
    const logs = join(this.dirs.userData, 'logs');
    if (existsSync(logs)) cpSync(logs, join(ARTIFACTS, 'vscode-logs'), { recursive: true });
  }

  /** After stop(): nothing of the server's process group (hosts, engine, watchers) is left. */
  async checkStopped(): Promise<void> {
    const pgid = this.server?.pgid;
    if (pgid === undefined) return;
    await this.step('every process the stage started has exited', () => assert.ok(!groupAlive(pgid), `process group ${pgid} still has processes`));
  }

  private async prerequisite(name: string, step: () => Promise<void> | void): Promise<void> {
    const ok = await this.step(name, step, this.prerequisiteFailed ? 'an earlier step failed' : undefined);
    if (!ok) this.prerequisiteFailed = true;
  }

  /** A subtest; resolves to whether it passed. */
  private async step(name: string, body: (t: TestContext) => Promise<void> | void, skip?: string): Promise<boolean> {
    let passed = false;
    await this.t.test(name, { skip: skip ?? false }, async (t) => {
      await body(t);
      passed = true;
    });
    return passed;
  }

  private async startServer(): Promise<void> {
    installExtension(this.tools.codeServer, this.dirs, VSIX);
    if (process.env.ESNAC_E2E_BREAK === '1') breakInstalledManifest(this.installedExtension());
    const env = isolatedEnv(this.dirs, { ESNAC_E2E_RESULTS: join(this.scratch, 'host-results.jsonl') });
    this.server = await startCodeServer(this.tools.codeServer, this.dirs, this.workspace, join(ARTIFACTS, 'code-server.log'), env);
  }

  private installedExtension(): string {
    const folder = readdirSync(this.dirs.extensions).find((name) => name.startsWith('esnac.esnac-'));
    if (!folder) throw new Error(`the .vsix did not install into ${this.dirs.extensions}`);
    return join(this.dirs.extensions, folder);
  }

  /**
   * Runs the in-host suite through the workbench URL's extensionDevelopmentPath /
   * extensionTestsPath payload (code-server's CLI refuses those flags), with the installed
   * extension as the one under development; each of its tests becomes a subtest here.
   */
  private async hostSuite(): Promise<void> {
    const skip = this.prerequisiteFailed ? 'an earlier step failed' : undefined;
    await this.step('the in-host suite runs to its end in the extension host (exit code 0)', async () => {
      const suite = await bundleHostSuite(join(this.scratch, 'in-host'));
      const exitCode = await this.withBrowser(async (page) => {
        const authority = new URL(this.server!.url).host;
        const remote = (path: string) => `vscode-remote://${authority}${path}`;
        const payload = JSON.stringify([
          ['extensionDevelopmentPath', remote(this.installedExtension())],
          ['extensionTestsPath', remote(suite)],
        ]);
        let exited: (code: unknown) => void = () => undefined;
        const exit = new Promise((resolve) => (exited = resolve));
        await page.exposeFunction('codeAutomationExit', (code: never) => exited(code));
        const flush = forwardHostConsole(page, (line) => this.t.diagnostic(`[extension host] ${line}`));
        await page.goto(`${this.server!.url}/?folder=${encodeURIComponent(this.workspace)}&payload=${encodeURIComponent(payload)}`, { waitUntil: 'domcontentloaded' });
        const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), HOST_SUITE_TIMEOUT_MS).unref());
        const code = await Promise.race([exit, timeout]);
        await this.screenshot(page, 'in-host-suite');
        await flush();
        return code;
      });
      assert.equal(exitCode, 0, `the in-host suite ended with ${String(exitCode)}`);
    }, skip);
    for (const result of this.hostResults()) {
      await this.step(`in host: ${result.name}`, (t) => {
        t.diagnostic(`${result.seconds.toFixed(1)} s in the extension host`);
        if (result.ok) return;
        const failure = new Error(result.error);
        failure.stack = result.stack ?? failure.stack;
        throw failure;
      });
    }
  }

  private hostResults(): HostTestResult[] {
    const file = join(this.scratch, 'host-results.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as HostTestResult);
  }

  private async ui(name: string, check: (page: Page) => Promise<void>, skip?: string): Promise<void> {
    await this.step(
      name,
      () =>
        this.withBrowser(async (page) => {
          await openWorkbench(page, this.server!.url, this.workspace, TEACHER_SPEC);
          try {
            await check(page);
          } catch (err) {
            await this.screenshot(page, 'failure');
            throw err;
          }
        }),
      this.prerequisiteFailed ? 'an earlier step failed' : skip,
    );
  }

  private async withBrowser<T>(use: (page: Page) => Promise<T>): Promise<T> {
    this.browser = await launchBrowser(this.tools.playwrightCore, this.tools.chromium);
    try {
      return await use(this.browser.page);
    } finally {
      await this.browser.close();
      this.browser = undefined;
    }
  }

  private async checkExplorerMenus(page: Page): Promise<void> {
    // The menu offers the item, and the item runs the command: its first question (the dataset)
    // comes up; Escape gives up.
    const question = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Compress vgg-mini-mnist' });
    await runExplorerMenuItem(page, TEACHER_SPEC, COMPRESS_TITLE, question, () => this.screenshot(page, 'menu-on-spec'));
    await this.screenshot(page, 'compress-first-question');
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'hidden', timeout: 10_000 });
    // Asked last, once the extension's contributions are known to be there.
    const onOther = await explorerMenu(page, OTHER_FILE);
    await this.screenshot(page, 'menu-on-other-file');
    assert.ok(onOther.length > 0, `no context menu on ${OTHER_FILE}`);
    assert.ok(!onOther.includes(COMPRESS_TITLE), `offered on ${OTHER_FILE}: ${onOther.join(', ')}`);
    await page.keyboard.press('Escape');
  }

  private async checkPreview(page: Page): Promise<void> {
    const { spec } = checkSpecText(readFileSync(join(this.workspace, TEACHER_SPEC)), TEACHER_SPEC);
    assert.ok(spec, 'the teacher spec does not parse');
    // The palette offers the command when a spec is the active editor.
    await explorerRow(page, TEACHER_SPEC).click();
    await page.locator('.tabs-container .tab', { hasText: TEACHER_SPEC }).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Preview architecture');
    // Graph nodes carry data-layer (the input node has none); layout runs in a worker, so wait.
    const nodes = activeWebview(page).locator('svg.canvas g.nodes > g[data-layer]');
    const drawn = await waitForCount(nodes, spec.layers.length, 60_000);
    await this.screenshot(page, 'preview');
    assert.equal(drawn, spec.layers.length, 'graph nodes drawn vs layers in the spec');
  }

  private async checkDashboard(page: Page): Promise<void> {
    const runDir = onlyRun(join(this.workspace, RUNS_FOLDER));
    const expected = readJournal(runDir)
      .flatMap((e) => (e.type === 'candidate' ? [e.name] : []))
      .sort();
    assert.ok(expected.length > 0, 'the journal lists no candidates');
    await runCommand(page, 'Open run dashboard');
    await pickQuickItem(page, basename(runDir));
    const rows = activeWebview(page).locator('table.candidates tbody tr td:nth-child(2)');
    await waitForCount(rows, expected.length, 60_000);
    await this.screenshot(page, 'dashboard');
    assert.deepEqual((await rows.allTextContents()).map((s) => s.trim()).sort(), expected);
  }

  private async screenshot(page: Page, name: string): Promise<void> {
    this.shots++;
    await page.screenshot({ path: join(ARTIFACTS, `${String(this.shots).padStart(2, '0')}-${name}.png`) }).catch(() => undefined);
  }
}

function packageExtension(): void {
  rmSync(VSIX, { force: true });
  const result = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8', timeout: 5 * 60_000 });
  if (result.status !== 0 || !existsSync(VSIX)) throw new Error(`npm run package failed:\n${result.stdout}${result.stderr}`.slice(-4000));
}

/** The deliberate breakage of ESNAC_E2E_BREAK: the manifest contributes a command the code never registers. */
function breakInstalledManifest(extensionDir: string): void {
  const path = join(extensionDir, 'package.json');
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('"esnac.compressArchitecture"', '"esnac.compressArchitectureRenamed"'));
}

function onlyRun(runsFolder: string): string {
  const runs = existsSync(runsFolder) ? readdirSync(runsFolder) : [];
  assert.equal(runs.length, 1, `expected one run in ${runsFolder}, found: ${runs.join(', ')}`);
  return join(runsFolder, runs[0]);
}

function readJournal(runDir: string): JournalEvent[] {
  return readFileSync(join(runDir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JournalEvent);
}
