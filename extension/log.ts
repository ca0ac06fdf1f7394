// One LogOutputChannel for everything esnac: the engine's esnac/log lines and stderr, the
// client's own messages. Errors shown to the user offer the log one click away.
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { errorHeadline } from './format';
import { errorDetail, errorMessage } from '../engine/util/errors';

export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('esnac', { log: true });
}

/** The engine answers a user's mistake (a UserError) with InvalidParams and a message meant to be read whole. */
function isUserMistake(err: unknown): boolean {
  return err instanceof ResponseError && err.code === ErrorCodes.InvalidParams;
}

/** Logs the whole error (with any stack) and shows its message with a "Show logs" button. */
export async function reportError(log: vscode.LogOutputChannel, what: string, err: unknown): Promise<void> {
  log.error(`${what}: ${errorDetail(err)}`);
  const message = isUserMistake(err) ? errorMessage(err) : errorHeadline(err);
  if ((await vscode.window.showErrorMessage(`esnac: ${what}: ${message}`, 'Show logs')) === 'Show logs') log.show();
}
