// One webview panel's plumbing, as in vscode-extension-samples' webview-sample: the HTML with a
// strict CSP (nonce'd script, styles and resources from dist/ only, workers from blob: for the
// elk layout), and the ready handshake. Every host message is a whole snapshot, so "queue until
// ready" keeps just the latest one, and a webview that reloads (hidden and shown again) gets it
// on its next `ready`.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { HostMessage, WebviewMessage } from '../../protocol/webview';
import { errorMessage } from '../../engine/util/errors';
import type { PanelContext } from './index';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
}

export class PanelConnection implements vscode.Disposable {
  private ready = false;
  private latest: HostMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    onMessage: (message: WebviewMessage) => Promise<void>,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = pageHtml(panel.webview, extensionUri, panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: WebviewMessage) => {
        if (message.type === 'ready') {
          this.ready = true;
          if (this.latest) void panel.webview.postMessage(this.latest);
        } else {
          onMessage(message).catch((err: unknown) => log.error(`${panel.title}: ${message.type} failed: ${errorMessage(err)}`));
        }
      }),
      // A hidden panel's webview is destroyed; it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    );
  }

  send(message: HostMessage): void {
    this.latest = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** A message for the webview as it is now, not a snapshot: dropped when it is not ready, never replayed. */
  notify(message: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The skeleton of every esnac panel: its title, its connection to the webview, what it owns
 * (watchers, listeners), a debounced redraw, and disposal. A panel says how it draws (`update`)
 * and what it does with the webview's messages.
 */
export abstract class EsnacPanel implements vscode.Disposable {
  protected readonly connection: PanelConnection;
  protected readonly disposables: vscode.Disposable[] = [];
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    title: string,
    protected readonly context: PanelContext,
  ) {
    panel.title = title;
    this.connection = new PanelConnection(panel, context.extensionUri, context.host.log, (m) => this.onMessage(m));
    this.disposables.push(this.connection);
  }

  /** Reads what the panel shows and sends it to the webview. */
  abstract update(): void | Promise<void>;

  protected abstract onMessage(message: WebviewMessage): Promise<void>;

  /** Redraws once changes have stopped coming for `delayMs` (edits, journal lines). */
  protected scheduleUpdate(delayMs: number): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.update(), delayMs);
  }

  dispose(): void {
    clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}

function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    'worker-src blob:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${asset('webview.css')}">
  <title>${escapeHtml(title)}</title>
</head>
<body>
  <div id="root"></div>
  <script nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
