// One webview panel's plumbing, as in vscode-extension-samples' webview-sample: the HTML with a
// strict CSP (nonce'd script, styles and resources from dist/ only, workers from blob: for the
// elk layout), and the ready handshake. Every host message is a whole snapshot, so "queue until
// ready" keeps just the latest one, and a webview that reloads (hidden and shown again) gets it
// on its next `ready`.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { HostMessage, WebviewMessage } from '../../protocol/webview';

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
          onMessage(message).catch((err: unknown) => log.error(`${panel.title}: ${message.type} failed: ${err instanceof Error ? err.message : String(err)}`));
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

  dispose(): void {
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
