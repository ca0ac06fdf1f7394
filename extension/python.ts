// The interpreter chosen in the Python extension (ms-python.python), when it is installed: the
// pytorch and auto evaluators use it when esnac.python is empty.
import * as vscode from 'vscode';
import { EsnacSettings } from './settings';

/** The part of the Python extension's API used here (its `environments` API, 2023 and later). */
interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
}

async function chosenInterpreter(scope?: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api.environments?.getActiveEnvironmentPath(scope)?.path || undefined;
  } catch {
    // An extension that fails to load leaves the engine's own search (ESNAC_PYTHON, PATH).
    return undefined;
  }
}

/** `settings` with the Python extension's interpreter filled in where esnac.python is empty and PyTorch may train. */
export async function withChosenPython(settings: EsnacSettings, scope?: vscode.Uri): Promise<EsnacSettings> {
  const { evaluator } = settings;
  if (evaluator.python || (evaluator.kind !== 'auto' && evaluator.kind !== 'pytorch')) return settings;
  const python = await chosenInterpreter(scope);
  return python ? { ...settings, evaluator: { ...evaluator, python } } : settings;
}
