// In-host checks of the run flow: a run cancelled while its teacher trains is resumed, and the
// esnac log shows the teacher going on at its next epoch, not at epoch 1.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { SearchSettings } from '../../../protocol';
import { DEFAULT_SETTINGS } from '../../../engine/run/settings';
import { RUNS_FOLDER, TEACHER_SPEC } from '../workspace';
import { HostTest } from './runner';
import { readJournal, waitFor } from './suite';

/** A teacher of three epochs on few digits, trained by the local trainer (which checkpoints each epoch). */
const TEACHER_RUN: Partial<SearchSettings> = {
  steps: 1,
  kernels: 2,
  epochs: 1,
  teacherEpochs: 3,
  limitTrain: 512,
  limitValidation: 128,
  finetuneTop: 0,
  workers: 1,
  acquisitionSamples: 20,
  evaluator: { ...DEFAULT_SETTINGS.evaluator, kind: 'local' },
};

export function runsTests(): HostTest[] {
  return [{ name: 'a run cancelled during teacher training resumes, and the log shows the teacher going on at its next epoch', timeoutMs: 8 * 60_000, run: cancelThenResume }];
}

async function cancelThenResume(): Promise<void> {
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const runsFolder = join(root, RUNS_FOLDER);
  const before = new Set(existsSync(runsFolder) ? readdirSync(runsFolder) : []);
  void vscode.commands.executeCommand('esnac.compressArchitecture', vscode.Uri.file(join(root, TEACHER_SPEC)), { dataset: 'mnist', settings: TEACHER_RUN });
  // Hidden names are run directories still being made (renamed into place once whole).
  const runDir = join(runsFolder, await waitFor('a new run directory', 60_000, () => (existsSync(runsFolder) ? readdirSync(runsFolder).find((d) => !before.has(d) && !d.startsWith('.')) : undefined)));
  try {
    const checkpoint = join(runDir, 'teacher.checkpoint', 'state.json');
    await waitFor('the teacher checkpoint of epoch 1', 4 * 60_000, () => (existsSync(checkpoint) ? true : undefined));
    await vscode.commands.executeCommand('esnac.cancelSearch');
    await waitFor('the run to stop (its lock released)', 60_000, () => (existsSync(join(runDir, 'esnac.lock')) ? undefined : true));
    const held = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { epochs: unknown[] }).epochs.length;
    assert.ok(held >= 1 && held < 3, `the checkpoint holds ${held} epochs`);
    assert.ok(!readJournal(runDir).some((e) => e.type === 'teacher'), 'the teacher finished before the cancel');

    void vscode.commands.executeCommand('esnac.resumeRun', vscode.Uri.file(runDir));
    await waitFor('the resumed run to finish', 5 * 60_000, () => (readJournal(runDir).some((e) => e.type === 'done') ? true : undefined));
    const expected = `resuming the teacher's training at epoch ${held + 1}/3`;
    await waitFor(`"${expected}" in the esnac log`, 30_000, () => (esnacLogs().some((text) => text.includes(expected)) ? true : undefined));
  } finally {
    // The UI stage expects the one run of the suite's compress test in the runs folder.
    await waitFor('the run to release its lock', 60_000, () => (existsSync(join(runDir, 'esnac.lock')) ? undefined : true)).catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** The esnac output channel's log files: under the user data folder the harness made beside $ESNAC_E2E_RESULTS. */
function esnacLogs(): string[] {
  const results = process.env.ESNAC_E2E_RESULTS;
  assert.ok(results, 'ESNAC_E2E_RESULTS is not set: where VS Code keeps its logs is unknown');
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/esnac\.log$/.test(entry.name)) found.push(readFileSync(path, 'utf8'));
    }
  };
  const logs = join(dirname(results), 'user-data', 'logs');
  if (existsSync(logs)) walk(logs);
  return found;
}
