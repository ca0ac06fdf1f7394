// The run flow as a user sees it in the workbench: the Runs view shows a live run (here a CLI's)
// as running and, once its process is killed, as stopped within seconds; a search started from
// the palette shows the teacher's training in its notification within seconds, and Cancel stops it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { explorerRow, notifications, Page, runCommand } from './workbench';
import { RUNS_FOLDER, TEACHER_SPEC } from './workspace';

const ROOT = join(__dirname, '..', '..');

export async function checkRunFlow(page: Page, workspace: string, shot: (name: string) => Promise<void>): Promise<void> {
  await runsViewFollowsALiveRun(page, workspace, shot);
  await notificationShowsTheTeacher(page, shot);
}

async function runsViewFollowsALiveRun(page: Page, workspace: string, shot: (name: string) => Promise<void>): Promise<void> {
  const name = 'cli-live-run';
  const args = [join(ROOT, 'bin', 'esnac.js'), 'compress', join(workspace, TEACHER_SPEC), '--dataset', 'mnist', '--teacher-epochs', '50', '--evaluator', 'local', '--workers', '1', '-o', join(workspace, RUNS_FOLDER, name)];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  try {
    // Playwright's :has / :has-text / attribute selectors: the hand-typed Locator stays small.
    const pane = '.pane:has(.pane-header:has-text("esnac Runs"))';
    await page.locator(`${pane} .pane-header`).first().waitFor({ timeout: 60_000 });
    const collapsed = page.locator(`${pane} .pane-header[aria-expanded="false"]`);
    if ((await collapsed.count()) > 0) await collapsed.first().click();
    // The row's accessible label is "<run>, <status>, <progress>" (extension/runs-view.ts).
    const row = (status: string) => page.locator(`${pane} .monaco-list-row[aria-label^="${name}, ${status}"]`);
    await until('the Runs view to show the CLI run as running', 90_000, async () => (await row('running').count()) > 0);
    await shot('runs-view-running');
    child.kill('SIGKILL');
    const killed = Date.now();
    await until('the Runs view to show the killed run as stopped', 15_000, async () => (await row('stopped').count()) > 0);
    await shot('runs-view-stopped');
    assert.ok(Date.now() - killed < 15_000);
  } finally {
    child.kill('SIGKILL');
  }
}

async function notificationShowsTheTeacher(page: Page, shot: (name: string) => Promise<void>): Promise<void> {
  await explorerRow(page, TEACHER_SPEC).click();
  await page.locator('.tabs-container .tab', { hasText: TEACHER_SPEC }).first().waitFor({ timeout: 30_000 });
  await runCommand(page, 'Compress architecture');
  const input = page.locator('.quick-input-widget:visible');
  // Every question's first answer: MNIST, train the teacher first, the configured budget.
  const started = await until('the questions to end and the teacher to train', 120_000, async () => {
    if ((await input.count()) > 0) {
      await page.keyboard.press('Enter');
      await page.waitForTimeout(500);
    }
    return (await notifications(page)).some((text) => /training the teacher/.test(text));
  });
  await shot('notification-teacher');
  assert.ok(started);
  const text = (await notifications(page)).find((t) => /training the teacher/.test(t))!;
  assert.match(text, /\d+% · training the teacher/);
  await runCommand(page, 'Cancel search');
  await until('the run to stop, resumable', 60_000, async () => (await notifications(page)).some((t) => /stopped; it can be resumed/.test(t)));
  await shot('notification-stopped');
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<true> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}
