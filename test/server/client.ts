// A minimal LSP client for the server tests and bench/lsp-diagnostics: starts the real engine
// process from source and talks to it over stdio with vscode-jsonrpc, as the extension would.
import { ChildProcess, spawn } from 'node:child_process';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Diagnostic, Position } from 'vscode-languageserver';
import { ArchitectureSpec, ARCH_FORMAT, Layer } from '../../engine/architecture/types';

export interface Notification {
  method: string;
  params: any;
}

export class Engine {
  readonly notifications: Notification[] = [];
  private readonly waiters: { test: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];
  private versions = new Map<string, number>();
  stderr = '';

  private constructor(
    readonly connection: MessageConnection,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    connection.onNotification((method, params) => {
      const notification = { method, params };
      this.notifications.push(notification);
      for (const waiter of this.waiters.filter((w) => w.test(notification))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(notification);
      }
    });
  }

  /** Starts `node --import tsx engine/server/main.ts --stdio` and initializes it. */
  static async start(env: NodeJS.ProcessEnv = {}): Promise<Engine> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'engine/server/main.ts', '--stdio'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const engine = new Engine(connection, child);
    connection.listen();
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendNotification('initialized', {});
    return engine;
  }

  /** The first notification (already received or still to come) that passes `test`. */
  next(method: string, test: (params: any) => boolean = () => true): Promise<Notification> {
    const match = (n: Notification) => n.method === method && test(n.params);
    const seen = this.notifications.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test: match, resolve }));
  }

  async open(uri: string, text: string): Promise<Diagnostic[]> {
    this.versions.set(uri, 1);
    const languageId = uri.endsWith('.json') ? 'json' : 'yaml';
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return this.diagnostics(uri, 1);
  }

  /** Replaces the whole text; resolves with the diagnostics published for the new version. */
  async change(uri: string, text: string): Promise<Diagnostic[]> {
    const version = this.versions.get(uri)! + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return this.diagnostics(uri, version);
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  private async diagnostics(uri: string, version: number): Promise<Diagnostic[]> {
    const published = await this.next('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === version);
    return published.params.diagnostics;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    await exited;
    this.connection.dispose();
  }
}

/**
 * A valid chain of `count` layers (conv/relu pairs with explicit inputs, then a head) on an 8x8
 * input; with `missingInput`, the last layer reads that id, which does not exist.
 */
export function generatedSpec(count: number, missingInput?: string): ArchitectureSpec {
  const layers: Layer[] = [{ id: 'l0', type: 'conv', out: 8, kernel: 3, padding: 1 }];
  for (let i = 1; i < count - 2; i++) layers.push(i % 2 ? { id: `l${i}`, type: 'relu' } : { id: `l${i}`, type: 'conv', out: 8, kernel: 3, padding: 1, inputs: [`l${i - 1}`] });
  layers.push({ id: 'gap', type: 'globalavgpool' }, { id: 'fc', type: 'linear', out: 10, ...(missingInput ? { inputs: [missingInput] } : {}) });
  return { format: ARCH_FORMAT, name: `generated-${count}`, input: { channels: 1, height: 8, width: 8 }, classes: 10, layers };
}

/** `text` with LSP edits applied (they do not overlap). */
export function applyEdits(text: string, edits: { range: { start: Position; end: Position }; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce((t, e) => t.slice(0, offset(e.range.start)) + e.newText + t.slice(offset(e.range.end)), text);
}
