// Starting a worker thread on one of our own modules, both from source and from a bundle.
import { Worker, WorkerOptions } from 'node:worker_threads';

export interface WorkerEntry {
  /** The .ts module, when running from source under tsx. */
  source: string;
  /** The bundled .js next to the running bundle (dist/). */
  bundle: string;
}

export function startWorker(entry: WorkerEntry, options: WorkerOptions = {}): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(entry.bundle, options);
  // Node 20 workers do not apply an inherited `--import tsx` to their entry file: register
  // tsx's CommonJS hook first (the sources load as CommonJS, as under `node --import tsx`).
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry.source)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
