// Import ONNX model and Export student...: the engine library's interop/files run here in the
// extension host, on tfjs's cpu backend (weights are only moved between layouts, not trained).
// A file picked in a save dialog has been confirmed there if it existed; any other file or folder
// that would be replaced is asked about first.
import * as vscode from 'vscode';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EXPORT_EXTENSIONS, ExportFormat, exportSpecFile, importOnnxFile, safetensorsPath, weightsFoldersFor } from '../../engine/interop/files';
import { UserError } from '../../engine/util/errors';
import { reportError } from '../log';
import { ExtensionCommands } from './ids';
import { specTarget, uriArgument } from './target';

export function registerImportExportCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const command = (id: string, what: string, run: (arg: unknown) => Promise<void>) =>
    vscode.commands.registerCommand(id, async (arg: unknown) => {
      try {
        await run(arg);
      } catch (err) {
        await reportFailure(log, what, err);
      }
    });
  context.subscriptions.push(
    command(ExtensionCommands.importOnnx, 'import failed', (arg) => importOnnxModel(arg, log)),
    command(ExtensionCommands.exportStudent, 'export failed', (arg) => exportStudent(arg, log)),
  );
}

/** A user's mistake (e.g. an operator the spec cannot express) is shown whole; anything else as an error with logs. */
async function reportFailure(log: vscode.LogOutputChannel, what: string, err: unknown): Promise<void> {
  if (!(err instanceof UserError)) return reportError(log, what, err);
  log.warn(`${what}: ${err.message}`);
  await vscode.window.showErrorMessage(`esnac: ${what}`, { modal: true, detail: err.message });
}

async function importOnnxModel(arg: unknown, log: vscode.LogOutputChannel): Promise<void> {
  const model = uriArgument(arg) ?? (await pickOnnxFile());
  if (!model) return;
  const stem = basename(model.fsPath).replace(/\.onnx$/i, '');
  const spec = await vscode.window.showSaveDialog({
    title: `Import ${basename(model.fsPath)}: architecture spec to write`,
    defaultUri: vscode.Uri.file(join(dirname(model.fsPath), `${stem}.arch.yaml`)),
    filters: { 'Architecture spec (YAML)': ['yaml', 'yml'], 'Architecture spec (JSON)': ['json'] },
  });
  if (!spec) return;
  const weightsDir = `${spec.fsPath.replace(/(\.arch)?\.(json|ya?ml)$/i, '')}.weights`;
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'Spec and weights', description: basename(weightsDir), detail: "The trained weights as a folder for 'Compress' (teacher weights) and weight inheritance", weights: true },
      { label: 'Spec only', detail: 'The architecture alone; compressing it trains the teacher first', weights: false },
    ],
    { title: `Import ${basename(model.fsPath)}: write the weights too?` },
  );
  if (!choice || (choice.weights && !(await confirmReplace(weightsDir)))) return;
  const result = await withProgress(`Importing ${basename(model.fsPath)}`, () =>
    importOnnxFile({ model: model.fsPath, spec: spec.fsPath, ...(choice.weights ? { weights: weightsDir } : {}), force: true }),
  );
  log.info(`imported ${model.fsPath} as ${spec.fsPath}${choice.weights ? ` with weights in ${weightsDir}` : ''}: ${result.params} params`);
  await vscode.window.showTextDocument(spec);
  const weights = choice.weights ? ` and its weights to ${basename(weightsDir)}` : '';
  void vscode.window.showInformationMessage(`esnac: imported ${result.spec.name} (${result.spec.layers.length} layers, ${result.params.toLocaleString('en-US')} params)${weights}.`);
}

async function pickOnnxFile(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ title: 'Import ONNX model', canSelectMany: false, filters: { 'ONNX model': ['onnx'] } });
  return picked?.[0];
}

async function exportStudent(arg: unknown, log: vscode.LogOutputChannel): Promise<void> {
  const spec = specTarget(arg, 'Export student');
  if (!spec) return;
  const name = basename(spec.fsPath);
  const format = await vscode.window.showQuickPick(
    [
      { label: 'PyTorch', description: '.py module', detail: 'An nn.Module named after the spec; with weights, a .safetensors file beside it that build() loads', to: 'pytorch' as ExportFormat },
      { label: 'ONNX', description: '.onnx file', detail: 'An ONNX graph (opset 13) with a symbolic batch axis', to: 'onnx' as ExportFormat },
    ],
    { title: `Export ${name} as` },
  );
  if (!format) return;
  const weights = await pickWeights(spec.fsPath, format.to);
  if (weights === undefined) return;
  const extension = EXPORT_EXTENSIONS[format.to];
  const output = await vscode.window.showSaveDialog({
    title: `Export ${name} as ${format.label}`,
    defaultUri: vscode.Uri.file(`${spec.fsPath.replace(/\.arch\.(json|ya?ml)$/i, '')}${extension}`),
    filters: { [`${format.label} (${extension})`]: [extension.slice(1)] },
  });
  if (!output) return;
  if (format.to === 'pytorch' && weights && !(await confirmReplace(safetensorsPath(output.fsPath)))) return;
  const result = await withProgress(`Exporting ${name} as ${format.label}`, () =>
    exportSpecFile({ spec: spec.fsPath, to: format.to, output: output.fsPath, ...(weights ? { weights } : {}), force: true }),
  );
  log.info(`exported ${spec.fsPath} to ${result.files.join(' and ')} (${result.weights} weights)`);
  const note = { trained: ` with the weights of ${basename(weights)}`, random: ' with random weights (no trained weights chosen)', none: ' (PyTorch initialises its weights)' }[result.weights];
  const open = format.to === 'pytorch' ? 'Open' : 'Reveal in Explorer';
  const action = await vscode.window.showInformationMessage(`esnac: wrote ${result.files.map((f) => basename(f)).join(' and ')}${note}.`, open);
  if (action === 'Open') await vscode.window.showTextDocument(output);
  else if (action) await vscode.commands.executeCommand('revealInExplorer', output);
}

/** The weights folder to export (detected beside the spec, or picked); '' for none; undefined when cancelled. */
async function pickWeights(specPath: string, to: ExportFormat): Promise<string | undefined> {
  const found = weightsFoldersFor(specPath).map((dir) => ({ label: basename(dir), description: 'beside the spec', dir }));
  const items = [
    ...found,
    { label: 'Choose a folder...', description: 'model.json + weights.bin', dir: undefined },
    { label: 'No weights', description: to === 'onnx' ? 'random initialisation' : 'PyTorch initialises the module', dir: '' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: found.length > 0 ? 'Trained weights to export' : 'Trained weights to export (none found beside the spec)' });
  if (!picked || picked.dir !== undefined) return picked?.dir;
  const folder = await vscode.window.showOpenDialog({ title: 'Weights folder (model.json + weights.bin)', canSelectFiles: false, canSelectFolders: true, defaultUri: vscode.Uri.file(dirname(specPath)) });
  return folder?.[0].fsPath;
}

/** True when `path` does not exist (or is an empty folder), or the user agrees to replace it. */
async function confirmReplace(path: string): Promise<boolean> {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat || (stat.isDirectory() && readdirSync(path).length === 0)) return true;
  const replace = await vscode.window.showWarningMessage(`${basename(path)} already exists in ${dirname(path)}.`, { modal: true, detail: 'Replace it?' }, 'Replace');
  return replace === 'Replace';
}

async function withProgress<T>(title: string, task: () => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `esnac: ${title}` }, async () => {
    await tf.setBackend('cpu');
    return task();
  });
}
