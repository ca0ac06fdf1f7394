// Screenshots of the parts of esnac that VS Code itself draws, for docs/screenshots: the Runs
// view in esnac's activity-bar container (a live run and a finished one) and the notification of
// a run training its teacher, each in a light, a dark and a high contrast theme. The packaged
// extension runs in a fresh code-server driven by chromium, as the e2e stage does
// (test/e2e, docs/vscode-e2e.md), with the theme set in the user settings before each page loads.
//
//   npm run package && node --import tsx scripts/workbench-screenshots.ts FINISHED_RUN_DIR [OUT_DIR]
//
// FINISHED_RUN_DIR: a finished run (esnac compress ... -o DIR), copied into the workspace's runs
// folder beside a live CLI run. Needs the e2e stage's tools (code-server, playwright-core, chromium).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { installExtension, isolatedEnv, prepareDirs, startCodeServer } from '../test/e2e/code-server';
import { ACTIVITY_BAR_ENTRY, cancelUntilStopped, compressUntilTheTeacherTrains, runsViewRow, showRunsView, startCliRun, until } from '../test/e2e/runs-ui';
import { ensureTools } from '../test/e2e/tools';
import { Box, launchBrowser, notifications, openWorkbench, Page, runCommand } from '../test/e2e/workbench';
import { RUNS_FOLDER, TEACHER_SPEC, writeWorkspace } from '../test/e2e/workspace';

/** The file-name suffix (as docs/screenshots names the webviews') and VS Code's built-in theme. */
const THEMES = {
  light: 'Default Light Modern',
  dark: 'Default Dark Modern',
  'high-contrast': 'Default High Contrast',
} as const;

const LIVE_RUN = 'vgg-mini-mnist-live';
/** Wide enough for a run's name and its progress. */
const SIDE_BAR_WIDTH = 440;
/** Room around a cropped part, so its borders and shadow show. */
const MARGIN = 8;

async function main(): Promise<void> {
  const [finishedRun, out = 'docs/screenshots'] = process.argv.slice(2);
  if (!finishedRun) throw new Error('usage: node --import tsx scripts/workbench-screenshots.ts FINISHED_RUN_DIR [OUT_DIR]');
  const outcome = ensureTools((line) => console.log(line));
  if ('skip' in outcome) throw new Error(`cannot run here: ${outcome.skip}`);
  const { tools } = outcome;
  const root = resolve('.');
  const scratch = mkdtempSync(join(tmpdir(), 'esnac-workbench-screenshots-'));
  const workspace = join(scratch, 'workspace');
  mkdirSync(join(workspace, RUNS_FOLDER), { recursive: true });
  writeWorkspace(workspace, root);
  const finished = basename(resolve(finishedRun));
  cpSync(finishedRun, join(workspace, RUNS_FOLDER, finished), { recursive: true });
  const dirs = prepareDirs(scratch);
  installExtension(tools.codeServer, dirs, join(root, 'dist', 'esnac.vsix'));
  const server = await startCodeServer(tools.codeServer, dirs, workspace, join(scratch, 'code-server.log'), isolatedEnv(dirs));
  const live = startCliRun(workspace, LIVE_RUN);
  mkdirSync(out, { recursive: true });
  const inTheme = async (theme: keyof typeof THEMES, shoot: (page: Page) => Promise<void>) => {
    setTheme(join(dirs.userData, 'User', 'settings.json'), THEMES[theme]);
    const browser = await launchBrowser(tools.playwrightCore, tools.chromium);
    try {
      await openWorkbench(browser.page, server.url, workspace, TEACHER_SPEC);
      await shoot(browser.page);
    } finally {
      await browser.close();
    }
  };
  try {
    // Every Runs view first: the notifications' runs would join the view.
    for (const theme of Object.keys(THEMES) as (keyof typeof THEMES)[]) {
      await inTheme(theme, async (page) => {
        await showRunsView(page);
        await until('the live run and the finished run in the Runs view', 120_000, async () => (await runsViewRow(page, LIVE_RUN, 'running').count()) > 0 && (await runsViewRow(page, finished, 'finished').count()) > 0);
        await widenSideBar(page, SIDE_BAR_WIDTH);
        const rows = await page.locator('.part.sidebar .monaco-list-row').last().boundingBox();
        const entry = await page.locator(ACTIVITY_BAR_ENTRY).first().boundingBox();
        const sidebar = await page.locator('.part.sidebar').boundingBox();
        // Below the title bar, from the activity bar's left edge to the side bar's right edge, down to the last run or esnac's entry in the activity bar.
        const bottom = Math.max(rows!.y + rows!.height, entry!.y + entry!.height) + 2 * MARGIN;
        await shot(page, resolve(out, `runs-view-${theme}.png`), { x: 0, y: sidebar!.y, width: sidebar!.x + sidebar!.width, height: bottom - sidebar!.y });
        // The next page opens on the explorer again.
        await runCommand(page, 'View: Show Explorer');
      });
    }
    for (const theme of Object.keys(THEMES) as (keyof typeof THEMES)[]) {
      await inTheme(theme, async (page) => {
        await compressUntilTheTeacherTrains(page);
        // Once an epoch is done the notification has numbers to show.
        await until('the teacher\'s first epoch', 300_000, async () => (await notifications(page)).some((text) => /epoch [1-9]/.test(text)));
        const toast = await page.locator('.notifications-toasts .notification-toast-container').first().boundingBox();
        await shot(page, resolve(out, `notification-${theme}.png`), { x: toast!.x - MARGIN, y: toast!.y - MARGIN, width: toast!.width + 2 * MARGIN, height: toast!.height + 2 * MARGIN });
        await cancelUntilStopped(page);
      });
    }
  } finally {
    live.kill('SIGKILL');
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Drags the side bar's edge until it is `width` wide, so the runs' descriptions show whole. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const sidebar = (await page.locator('.part.sidebar').boundingBox())!;
  const edge = sidebar.x + sidebar.width;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(edge - 1, y);
  await page.mouse.down();
  await page.mouse.move(sidebar.x + width, y, { steps: 10 });
  await page.mouse.up();
}

function setTheme(settingsFile: string, theme: string): void {
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(settingsFile, JSON.stringify({ ...settings, 'workbench.colorTheme': theme }, null, 2));
}

async function shot(page: Page, path: string, clip: Box): Promise<void> {
  await page.screenshot({ path, clip });
  console.log(path);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
