// Entry point of the engine's language server bundle (dist/server.js): LSP over stdio.
// `--stdio` is accepted for vscode-languageclient, which passes it; stdio is the only transport.
import { serveStdio } from './server';

serveStdio();
