// The engine as a language server: language features for spec files (*.arch.json/yaml/yml) and
// the esnac/ requests that run and inspect searches (protocol/index.ts). Analysis is cached per
// document version; searches run in worker threads (./searches).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CancellationToken,
  CodeActionKind,
  Connection,
  createConnection,
  ErrorCodes,
  InitializeResult,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { version as esnacVersion } from '../../package.json';
import * as protocol from '../../protocol';
import { teacherOfSpec } from '../run/student';
import { errorDetail, errorMessage, UserError } from '../util/errors';
import { analyzeSpec, SpecAnalysis } from './analysis';
import { completions, completionSite } from './completion';
import { codeLenses, definition, diagnostics, documentSymbols, hover, references } from './features';
import { quickFixes } from './quick-fixes';
import { prepareRename, renameEdits } from './rename';
import { listRuns, runState } from './runs';
import { SearchWorkers } from './searches';
import { signalExitCode } from '../util/signals';

/** Diagnostics wait this long after a keystroke, so typing is not slowed by re-checking. */
export const DIAGNOSTICS_DELAY_MS = 200;

/** Serves LSP over this process's stdin and stdout until the client disconnects. */
export function serveStdio(): void {
  // A corrupted frame leaves the reader unable to find the next message: exit, so the client
  // (which restarts a server that stops) gets a working one, instead of one alive but deaf.
  const reader = new StreamMessageReader(process.stdin);
  reader.onError((err) => {
    process.stderr.write(`esnac language server: unreadable input (${err.message}); exiting so the client restarts it\n`);
    process.exit(1);
  });
  const connection = createConnection(reader, new StreamMessageWriter(process.stdout));
  const { cancelSearches } = startServer(connection);
  // SIGINT (Ctrl-C, or esnac/cancelRun from another process, which checks that this process
  // holds the run) stops the searches as a cancel request does; with none running, it stops the server.
  process.on('SIGINT', () => {
    if (cancelSearches() === 0) process.exit(signalExitCode('SIGINT'));
  });
  connection.listen();
}

type Log = (level: protocol.LogParams['level'], message: string, runDir?: string) => void;

/** Serves `connection`; how to cancel the searches it runs (their number). */
export function startServer(connection: Connection): { cancelSearches: () => number } {
  const log: Log = (level, message, runDir) =>
    void connection.sendNotification(protocol.Log, { level, message, ...(runDir ? { runDir } : {}) } satisfies protocol.LogParams);
  connection.onInitialize(
    (): InitializeResult => ({
      serverInfo: { name: 'esnac', version: esnacVersion },
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        documentSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        completionProvider: { triggerCharacters: [' ', '"', '[', ','] },
        renameProvider: { prepareProvider: true },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
    }),
  );
  serveSpecFiles(connection, log);
  const searches = serveSearches(connection, log);
  return { cancelSearches: () => searches.cancelAll() };
}

function serveSpecFiles(connection: Connection, log: Log): void {
  const documents = new TextDocuments(TextDocument);
  const analyses = new AnalysisCache();
  const timers = new Map<string, NodeJS.Timeout>();

  /** The spec document a request is about, with its analysis; undefined for other files. */
  const specAt = (uri: string): { document: TextDocument; analysis: SpecAnalysis } | undefined => {
    const document = documents.get(uri);
    return document && protocol.isSpecFileName(uri) ? { document, analysis: analyses.get(document) } : undefined;
  };

  const publish = (uri: string) => {
    timers.delete(uri);
    try {
      const spec = specAt(uri);
      if (spec) void connection.sendDiagnostics({ uri, version: spec.document.version, diagnostics: diagnostics(spec.analysis, uri) });
    } catch (err) {
      // A timer's exception would end the server; one document's bug must not.
      log('error', `checking ${uri} failed: ${errorDetail(err)}`);
    }
  };

  // The first check of a document is immediate; later ones wait for a pause in typing.
  documents.onDidChangeContent(({ document: { uri } }) => {
    if (!protocol.isSpecFileName(uri)) return;
    const first = !analyses.has(uri) && !timers.has(uri);
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => publish(uri), first ? 0 : DIAGNOSTICS_DELAY_MS));
  });
  documents.onDidClose(({ document: { uri } }) => {
    clearTimeout(timers.get(uri));
    timers.delete(uri);
    analyses.forget(uri);
    if (protocol.isSpecFileName(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  connection.onHover(({ textDocument, position }) => {
    const spec = specAt(textDocument.uri);
    return spec ? hover(spec.analysis, position) : null;
  });
  connection.onCodeLens(({ textDocument: { uri } }) => {
    const spec = specAt(uri);
    if (!spec) return [];
    const student = uri.startsWith('file:') && 'teacher' in teacherOfSpec(fileURLToPath(uri), spec.document.getText());
    return codeLenses(spec.analysis, uri, student);
  });
  connection.onDocumentSymbol(({ textDocument }) => {
    const spec = specAt(textDocument.uri);
    return spec ? documentSymbols(spec.analysis) : [];
  });
  connection.onDefinition(({ textDocument, position }) => {
    const spec = specAt(textDocument.uri);
    return spec ? definition(spec.analysis, textDocument.uri, position) : null;
  });
  connection.onReferences(({ textDocument, position, context }) => {
    const spec = specAt(textDocument.uri);
    return spec ? references(spec.analysis, textDocument.uri, position, context.includeDeclaration) : [];
  });
  connection.onCompletion(({ textDocument, position }) => {
    const spec = specAt(textDocument.uri);
    if (!spec) return [];
    const site = completionSite(spec.document.getText(), spec.document.offsetAt(position), textDocument.uri);
    return site ? completions(site, position, analyses.lastParsed(textDocument.uri), textDocument.uri) : [];
  });
  connection.onCodeAction(({ textDocument, range }) => {
    const spec = specAt(textDocument.uri);
    return spec ? quickFixes(spec.analysis, spec.document.getText(), textDocument.uri, spec.document.version, range) : [];
  });
  connection.onPrepareRename(({ textDocument, position }) => {
    const spec = specAt(textDocument.uri);
    return spec ? prepareRename(spec.analysis, position) : null;
  });
  connection.onRenameRequest(({ textDocument, position, newName }) => {
    const spec = specAt(textDocument.uri);
    if (!spec) return null;
    const edits = renameEdits(spec.analysis, position, newName, textDocument.uri);
    return { documentChanges: [{ textDocument: { uri: textDocument.uri, version: spec.document.version }, edits }] };
  });
  documents.listen(connection);
}

function serveSearches(connection: Connection, log: Log): SearchWorkers {
  const searches = new SearchWorkers({
    started: (runDir) => void connection.sendNotification(protocol.SearchStarted, { runDir } satisfies protocol.SearchStartedParams),
    progress: (runDir, progress) => void connection.sendNotification(protocol.SearchProgress, { runDir, ...progress } satisfies protocol.SearchProgressParams),
    candidate: (runDir, event) => {
      const { step, name, params, status, accuracy, f, reason, seconds } = event;
      const evaluated: protocol.CandidateEvaluatedParams = { runDir, step, name, spec: resolve(runDir, event.spec), params, status, accuracy, f, reason, seconds };
      void connection.sendNotification(protocol.CandidateEvaluated, evaluated);
    },
    log,
  });
  const isRunning = (dir: string) => searches.isRunning(dir);
  let engineInfo: Promise<protocol.EngineInfoParams> | undefined;

  connection.onInitialized(() => {
    engineInfo = describeEngine(searches);
    void engineInfo.then((info) => connection.sendNotification(protocol.EngineInfo, info));
  });
  connection.onRequest(protocol.GetEngineInfo, () => (engineInfo ??= describeEngine(searches)));
  connection.onRequest(protocol.StartSearch, ({ teacher, ...rest }: protocol.StartSearchParams, token: CancellationToken) =>
    asResponse(() => searches.compress({ teacherPath: teacher, ...rest }, token)),
  );
  connection.onRequest(protocol.ResumeRun, ({ runDir, backend }: protocol.ResumeRunParams, token: CancellationToken) =>
    asResponse(() => searches.compress({ resume: runDir, backend }, token)),
  );
  connection.onRequest(protocol.ListRuns, ({ folders }: protocol.ListRunsParams) => asResponse(async () => listRuns(folders, isRunning)));
  connection.onRequest(protocol.RunState, ({ runDir }: protocol.RunStateParams) => asResponse(async () => runState(runDir, isRunning)));
  connection.onRequest(protocol.MeasureSpeed, (params: protocol.SpeedParams) => asResponse(() => searches.speed(params)));
  connection.onRequest(protocol.CancelRun, ({ runDir }: protocol.CancelRunParams) => asResponse(async (): Promise<protocol.CancelRunResult> => ({ pid: searches.cancel(runDir) })));
  connection.onShutdown(() => searches.dispose());
  return searches;
}

/** Per-document analyses, recomputed when the version changes. */
class AnalysisCache {
  private readonly current = new Map<string, { version: number; analysis: SpecAnalysis }>();
  /** The latest analysis that parsed: completion offers its ids while the text is broken (and the last known shapes). */
  private readonly parsed = new Map<string, SpecAnalysis>();

  get(document: TextDocument): SpecAnalysis {
    const cached = this.current.get(document.uri);
    if (cached?.version === document.version) return cached.analysis;
    const analysis = analyzeSpec(document.getText(), document.uri);
    this.current.set(document.uri, { version: document.version, analysis });
    // While a new layer is half written the spec has no shapes; the last known ones still tell
    // completion what the layers above it give.
    const shapes = analysis.shapes ?? this.parsed.get(document.uri)?.shapes;
    if (analysis.parsed) this.parsed.set(document.uri, shapes ? { ...analysis, shapes } : analysis);
    return analysis;
  }

  has(uri: string): boolean {
    return this.current.has(uri);
  }

  lastParsed(uri: string): SpecAnalysis | undefined {
    return this.parsed.get(uri);
  }

  forget(uri: string): void {
    this.current.delete(uri);
    this.parsed.delete(uri);
  }
}

/** A user's mistake becomes an error response with its message; anything else keeps its stack for the log. */
async function asResponse<T>(work: () => Promise<T>): Promise<T | ResponseError<void>> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UserError) return new ResponseError(ErrorCodes.InvalidParams, err.message);
    return new ResponseError(ErrorCodes.InternalError, errorDetail(err));
  }
}

async function describeEngine(searches: SearchWorkers): Promise<protocol.EngineInfoParams> {
  const base = { esnacVersion, nodeVersion: process.version };
  try {
    const { name, detail, tfjsVersion, skipped } = await searches.probe('auto');
    return { ...base, backend: { name, detail, tfjsVersion, skipped } };
  } catch (err) {
    return { ...base, error: errorMessage(err) };
  }
}
