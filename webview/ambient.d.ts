// Globals and module shapes the browser bundle relies on.

/** The webview API VS Code injects; callable once per page. */
declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};

// elk's worker script, imported as text (esbuild `with { type: 'text' }`) to start a worker
// from a blob: URL, the one kind of worker URL a webview may load.
declare module 'elkjs/lib/elk-worker.min.js' {
  const source: string;
  export default source;
}
