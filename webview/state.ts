// The webview's link to its host: messages out, and the state VS Code keeps across reloads
// and while the panel is hidden.
import type { WebviewMessage, WebviewState } from '../protocol/webview';

export interface Host {
  post(message: WebviewMessage): void;
  readonly state: WebviewState;
  updateState(change: Partial<WebviewState>): void;
}

export function connectHost(): Host {
  const vscode = acquireVsCodeApi();
  let state = (vscode.getState() as WebviewState | undefined) ?? {};
  return {
    post: (message) => vscode.postMessage(message),
    get state() {
      return state;
    },
    updateState(change) {
      state = { ...state, ...change };
      vscode.setState(state);
    },
  };
}
