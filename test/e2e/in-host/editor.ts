// The editor's language features through VS Code's own providers: a quick fix for a mistyped
// layer type, applied as VS Code applies it, clears the diagnostic; key completion in a layer.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { FIXED_TEXT } from '../workspace';
import { HostTest } from './runner';
import { esnacDiagnostics, waitFor } from './suite';

const TYPO_SPEC = 'typo.arch.yaml';
/** conv1's type mistyped. */
const TYPO_TEXT = FIXED_TEXT.replace('type: conv', 'type: cnov');

export function editorHostTests(): HostTest[] {
  return [
    { name: "a quick fix turns the mistyped layer type 'cnov' into 'conv' and the diagnostic clears", timeoutMs: 120_000, run: quickFixClearsTypo },
    { name: 'completion offers the keys a conv layer lacks', timeoutMs: 60_000, run: completesKeys },
  ];
}

async function quickFixClearsTypo(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  const path = join(folder.uri.fsPath, TYPO_SPEC);
  writeFileSync(path, TYPO_TEXT);
  const uri = vscode.Uri.file(path);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  const [typo] = await waitFor('the diagnostic on cnov', 90_000, () => {
    const found = esnacDiagnostics(uri).filter((d) => d.message.includes("'cnov'"));
    return found.length > 0 ? found : undefined;
  });
  assert.equal(document.getText(typo.range), 'cnov');
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, typo.range, vscode.CodeActionKind.QuickFix.value);
  const fix = actions.find((a) => a.title === "Change to 'conv'");
  assert.ok(fix?.edit, `no "Change to 'conv'" among the fixes: ${actions.map((a) => a.title).join('; ')}`);
  assert.ok(fix.isPreferred, 'the nearest type is the preferred fix');
  assert.ok(await vscode.workspace.applyEdit(fix.edit), 'the fix was refused');
  assert.equal(document.getText(), FIXED_TEXT);
  assert.ok(await document.save(), 'saving the fixed spec failed');
  await waitFor('the diagnostics to clear', 30_000, () => (esnacDiagnostics(uri).length === 0 ? true : undefined));
}

async function completesKeys(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders![0];
  const uri = vscode.Uri.file(join(folder.uri.fsPath, TYPO_SPEC));
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  // A new line in conv1, after its `padding: 1`.
  const padding = document.positionAt(document.getText().indexOf('padding: 1') + 'padding: 1'.length);
  await editor.edit((edit) => edit.insert(padding, '\n    st'));
  const at = new vscode.Position(padding.line + 1, 6);
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, at);
  const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
  assert.ok(labels.includes('stride'), `stride is not offered: ${labels.slice(0, 30).join(', ')}`);
  assert.ok(!labels.includes('kernel'), 'kernel, which conv1 has, is offered');
  await vscode.commands.executeCommand('workbench.action.files.revert');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
