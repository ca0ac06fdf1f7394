// The run flow as a user sees it in the workbench: the Runs view (in esnac's own activity-bar
// container) shows a live run (here a CLI's)
// as running and, once its process is killed, as stopped within seconds; a search started from
// the palette shows the teacher's training in its notification within seconds, and Cancel stops it.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { explorerRow, Locator, notifications, Page, runCommand } from './workbench';
import { RUNS_FOLDER, TEACHER_SPEC } from './workspace';

const ROOT = join(__dirname, '..', '..');
/** package.json's viewsContainers.activitybar entry: the activity bar labels it with its title. */
export const ACTIVITY_BAR_ENTRY = '.part.activitybar .action-item [aria-label^="esnac"], .part.activitybar .action-item[aria-label^="esnac"]';
const RUNS_VIEW_ROWS = '.part.sidebar .monaco-list-row';

export async function checkRunFlow(page: Page, workspace: string, shot: (name: string) => Promise<void>): Promise<void> {
  await runsViewFollowsALiveRun(page, workspace, shot);
  await notificationShowsTheTeacher(page, shot);
}

async function runsViewFollowsALiveRun(page: Page, workspace: string, shot: (name: string) => Promise<void>): Promise<void> {
  const name = 'cli-live-run';
  const child = startCliRun(workspace, name);
  try {
    await showRunsView(page);
    await until('the Runs view to show the CLI run as running', 90_000, async () => (await runsViewRow(page, name, 'running').count()) > 0);
    await shot('runs-view-running');
    child.kill('SIGKILL');
    const killed = Date.now();
    await until('the Runs view to show the killed run as stopped', 15_000, async () => (await runsViewRow(page, name, 'stopped').count()) > 0);
    await shot('runs-view-stopped');
    assert.ok(Date.now() - killed < 15_000);
  } finally {
    child.kill('SIGKILL');
  }
}

async function notificationShowsTheTeacher(page: Page, shot: (name: string) => Promise<void>): Promise<void> {
  const text = await compressUntilTheTeacherTrains(page);
  await shot('notification-teacher');
  assert.match(text, /\d+% · training the teacher/);
  await cancelUntilStopped(page);
  await shot('notification-stopped');
}

/** A CLI run of the workspace's teacher in the runs folder, training its teacher for long. */
export function startCliRun(workspace: string, name: string): ChildProcess {
  const args = [join(ROOT, 'bin', 'esnac.js'), 'compress', join(workspace, TEACHER_SPEC), '--dataset', 'mnist', '--teacher-epochs', '50', '--evaluator', 'local', '--workers', '1', '-o', join(workspace, RUNS_FOLDER, name)];
  return spawn(process.execPath, args, { stdio: 'ignore' });
}

/** The Runs view's row of the run `name` while it shows `status`: its accessible label is "<run>, <status>, <progress>" (extension/runs-view.ts). */
export function runsViewRow(page: Page, name: string, status: string): Locator {
  return page.locator(`${RUNS_VIEW_ROWS}[aria-label^="${name}, ${status}"]`);
}

/**
 * Compresses the workspace's teacher from the palette, answering every question with its first
 * answer (MNIST, train the teacher first, the first budget), until the notification says the
 * teacher trains; resolves to that notification's text.
 */
export async function compressUntilTheTeacherTrains(page: Page): Promise<string> {
  // The side bar may show another container (the Runs view's).
  await runCommand(page, 'View: Show Explorer');
  await explorerRow(page, TEACHER_SPEC).click();
  await page.locator('.tabs-container .tab', { hasText: TEACHER_SPEC }).first().waitFor({ timeout: 30_000 });
  await runCommand(page, 'Compress architecture');
  const input = page.locator('.quick-input-widget:visible');
  const teacher = (texts: string[]) => texts.find((text) => /training the teacher/.test(text));
  await until('the questions to end and the teacher to train', 120_000, async () => {
    if ((await input.count()) > 0) {
      await page.keyboard.press('Enter');
      await page.waitForTimeout(500);
    }
    return teacher(await notifications(page)) !== undefined;
  });
  return teacher(await notifications(page))!;
}

/** Cancels this window's search and waits for the notification that it stopped, resumable. */
export async function cancelUntilStopped(page: Page): Promise<void> {
  await runCommand(page, 'Cancel search');
  await until('the run to stop, resumable', 60_000, async () => (await notifications(page)).some((t) => /stopped; it can be resumed/.test(t)));
}

/**
 * Opens esnac's activity-bar container, whose one view (Runs) fills the side bar under the
 * container's title ("ESNAC: RUNS"): its activity-bar entry is there, and the palette's focus
 * command for the view (category: the container's title) shows it.
 */
export async function showRunsView(page: Page): Promise<void> {
  await page.locator(ACTIVITY_BAR_ENTRY).first().waitFor({ timeout: 60_000 });
  await runCommand(page, 'esnac: Focus on Runs View');
  await page.locator('.part.sidebar .composite.title', { hasText: /esnac: Runs/i }).first().waitFor({ timeout: 30_000 });
}

export async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<true> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}
