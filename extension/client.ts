// The engine process (dist/server.js, a language server over stdio) and its client. Started on
// first need: a spec file opened or a command that asks the engine, so opening any JSON or
// YAML file costs nothing. Settings are checked before starting, with errors that say what to fix.
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, NodeModule, RequestType, RevealOutputChannelOn, State, TransportKind } from 'vscode-languageclient/node';
import { EngineInfoParams, SearchProgressParams, SPEC_FILE_GLOB } from '../protocol';
import { runName } from './format';
import * as requests from './requests';
import { engineEnvironment, EsnacSettings, readSettings } from './settings';
import { errorMessage } from '../engine/util/errors';

export type EngineState =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  /** `info` arrives once the engine has loaded a backend (esnac/engineInfo). */
  | { kind: 'running'; info?: EngineInfoParams }
  | { kind: 'failed'; reason: string };

/** The esnac settings, for a file when its folder may override them. */
export function settingsFor(scope?: vscode.Uri): EsnacSettings {
  const config = vscode.workspace.getConfiguration('esnac', scope);
  return readSettings((key) => config.get(key));
}

export class Engine implements vscode.Disposable {
  private starting: Promise<LanguageClient> | undefined;
  private readonly stateChanged = new vscode.EventEmitter<EngineState>();
  private readonly progressed = new vscode.EventEmitter<SearchProgressParams>();
  private current: EngineState = { kind: 'stopped' };

  readonly onDidChangeState = this.stateChanged.event;
  /** esnac/searchProgress, for every search this engine runs. */
  readonly onProgress = this.progressed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): EngineState {
    return this.current;
  }

  get started(): boolean {
    return this.starting !== undefined;
  }

  /** The running client, starting the engine if needed; rejects with a readable reason when it cannot start. */
  ready(): Promise<LanguageClient> {
    this.starting ??= this.start();
    return this.starting;
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.ready();
    return token ? client.sendRequest(type, params, token) : client.sendRequest(type, params);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.ready();
  }

  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    const client = await starting?.catch(() => undefined);
    if (client?.isRunning()) await client.stop();
    this.setState({ kind: 'stopped' });
  }

  dispose(): void {
    void this.stop();
    this.stateChanged.dispose();
    this.progressed.dispose();
  }

  private async start(): Promise<LanguageClient> {
    this.setState({ kind: 'starting' });
    try {
      const client = this.createClient(settingsFor());
      await client.start();
      if (this.current.kind === 'starting') this.setState({ kind: 'running' });
      return client;
    } catch (err) {
      this.starting = undefined;
      const reason = errorMessage(err);
      this.setState({ kind: 'failed', reason });
      throw err;
    }
  }

  private createClient(settings: EsnacSettings): LanguageClient {
    const module = this.context.asAbsolutePath('dist/server.js');
    if (!existsSync(module)) throw new Error(`the engine bundle ${module} is missing: build it with \`npm run build\`, or reinstall the extension`);
    if (settings.nodePath !== '' && !existsSync(settings.nodePath)) {
      throw new Error(`esnac.engine.nodePath names ${settings.nodePath}, which does not exist: correct the setting or clear it to use VS Code's own Node`);
    }
    const server: NodeModule = {
      module,
      transport: TransportKind.stdio,
      options: { env: engineEnvironment(settings) },
      ...(settings.nodePath !== '' ? { runtime: settings.nodePath } : {}),
    };
    const options: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', pattern: SPEC_FILE_GLOB }],
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
    };
    const client = new LanguageClient('esnac', 'esnac engine', { run: server, debug: server }, options);
    this.listen(client);
    return client;
  }

  private listen(client: LanguageClient): void {
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Starting) this.setState({ kind: 'starting' });
      else if (newState === State.Stopped && this.current.kind !== 'failed') this.setState({ kind: 'stopped' });
      else if (newState === State.Running && this.current.kind !== 'running') this.setState({ kind: 'running' });
    });
    client.onNotification(requests.engineInfo, (info) => {
      if (info.error) this.log.error(`engine has no TensorFlow.js backend: ${info.error}`);
      else this.log.info(`engine ready: ${info.backend?.detail}`);
      this.setState({ kind: 'running', info });
    });
    client.onNotification(requests.log, ({ level, message, runDir }) => {
      const line = runDir ? `[${runName(runDir)}] ${message}` : message;
      if (level === 'error') this.log.error(line);
      else if (level === 'warning') this.log.warn(line);
      else this.log.info(line);
    });
    client.onNotification(requests.searchProgress, (progress) => this.progressed.fire(progress));
    client.onNotification(requests.candidateEvaluated, (c) => {
      const prefix = `[${runName(c.runDir)}] step ${c.step} ${c.name}`;
      if (c.status === 'failed') this.log.warn(`${prefix} failed: ${c.reason ?? 'no reason given'}`);
      else this.log.debug(`${prefix}: accuracy ${c.accuracy}, f ${c.f}, ${c.params} params, ${c.seconds.toFixed(0)} s`);
    });
  }

  private setState(state: EngineState): void {
    this.current = state;
    this.stateChanged.fire(state);
  }
}
