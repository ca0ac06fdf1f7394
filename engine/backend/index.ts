// Picks the TensorFlow.js backend that trains fastest here and says why the better ones were not
// used. Native TensorFlow (tfjs-node-gpu, tfjs-node) is an optional dependency that often cannot
// install; wasm with our training kernels is the portable fast path; cpu always works but is
// 100x slower for CNNs (docs/compute.md).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { errorMessage, UserError } from '../util/errors';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { loadWebGpu } from './webgpu';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  tfjsVersion: string;
  /** What runs the maths, for logs: e.g. 'wasm (SIMD, esnac training kernels)'. */
  detail: string;
  /** Backends ranked above the chosen one and why each was not used. */
  skipped: { name: string; reason: string }[];
}

/** One way to get a backend; `load` makes it ready in tfjs and returns its detail text. */
interface Candidate {
  name: BackendName;
  gpu: boolean;
  /** Tried only when the backend is asked for by name. */
  onlyWhenForced?: boolean;
  load(): Promise<string>;
}

/** Best first. A new backend (e.g. webgpu after tensorflow) is one entry here. */
const RANKING: readonly Candidate[] = [
  { name: 'tensorflow', gpu: true, load: () => loadNativeTensorflow('@tensorflow/tfjs-node-gpu', 'CUDA') },
  { name: 'tensorflow', gpu: false, load: () => loadNativeTensorflow('@tensorflow/tfjs-node', 'CPU') },
  { name: 'webgpu', gpu: true, load: () => loadWebGpu('hardware') },
  { name: 'wasm', gpu: false, load: loadWasm },
  { name: 'cpu', gpu: false, load: loadCpu },
  // A software WebGPU adapter is correct but slower than wasm.
  { name: 'webgpu', gpu: false, onlyWhenForced: true, load: () => loadWebGpu('any') },
];

const BACKEND_NAMES: readonly BackendName[] = [...new Set(RANKING.map((c) => c.name))];

export const BACKEND_ENV_VAR = 'ESNAC_BACKEND';

type Loaded = { candidate: Candidate; info: BackendInfo };

/** The latest request and its loading, shared by concurrent callers. */
let pending: { request: BackendName | 'auto'; loading: Promise<Loaded> } | undefined;
let current: Loaded | undefined;

/**
 * Loads the best available backend, or `preferred` (else the ESNAC_BACKEND environment variable)
 * when it names one, and makes it tfjs's current backend. Calling it again with the same request
 * returns the same answer; a forced backend that cannot load is a UserError saying why.
 */
export async function initBackend(preferred: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
  const request = preferred === 'auto' ? backendFromEnv() : preferred;
  if (pending?.request !== request) {
    const loading = request === 'auto' ? loadBest() : loadForced(request);
    pending = { request, loading };
    // A failed request is tried afresh next time.
    loading.catch(() => {
      if (pending?.loading === loading) pending = undefined;
    });
  }
  current = await pending.loading;
  if (tf.getBackend() !== current.info.name) await tf.setBackend(current.info.name);
  return current.info;
}

/**
 * Runs `fn` on a backend whose tensors can be read synchronously: the current one, or wasm while
 * WebGPU trains (the learned kernel reads values inside its gradient function, which WebGPU in
 * Node cannot). The current backend is restored afterwards.
 */
export async function withSynchronousBackend<T>(fn: () => Promise<T>): Promise<T> {
  const current = tf.getBackend();
  if (current !== 'webgpu') return fn();
  await loadWasm();
  try {
    return await fn();
  } finally {
    await tf.setBackend(current);
  }
}

/** True when the backend runs on a GPU (tensorflow from tfjs-node-gpu, webgpu on a hardware adapter). */
export function isGpuBackend(name: BackendName): boolean {
  if (current?.info.name === name) return current.candidate.gpu;
  return RANKING.every((c) => c.name !== name || c.gpu);
}

function backendFromEnv(): BackendName | 'auto' {
  const value = process.env[BACKEND_ENV_VAR]?.trim();
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new UserError(`${BACKEND_ENV_VAR}=${value} is not a backend; use one of: auto, ${BACKEND_NAMES.join(', ')}`);
}

async function loadBest(): Promise<Loaded> {
  const skipped: BackendInfo['skipped'] = [];
  const loaded = await loadFirst(RANKING.filter((c) => !c.onlyWhenForced), skipped);
  if (loaded !== undefined) return loaded;
  throw new Error(`no TensorFlow.js backend loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

async function loadForced(name: BackendName): Promise<Loaded> {
  const first = RANKING.findIndex((c) => c.name === name);
  const skipped = RANKING.slice(0, first)
    .filter((c) => c.name !== name)
    .map((c) => ({ name: c.name, reason: `not tried: backend forced to ${name}` }));
  const notTried = skipped.length;
  const loaded = await loadFirst(RANKING.filter((c) => c.name === name), skipped);
  if (loaded !== undefined) return loaded;
  const reasons = skipped.slice(notTried).map((s) => s.reason);
  throw new UserError(`the '${name}' TensorFlow.js backend was requested but cannot load: ${reasons.join('; ')}`);
}

/** Loads the first candidate that works, recording in `skipped` why each before it failed. */
async function loadFirst(candidates: readonly Candidate[], skipped: BackendInfo['skipped']): Promise<Loaded | undefined> {
  for (const candidate of candidates) {
    try {
      const detail = await candidate.load();
      return { candidate, info: { name: candidate.name, tfjsVersion: tf.version_core, detail, skipped } };
    } catch (err) {
      skipped.push({ name: candidate.name, reason: reasonOf(err) });
    }
  }
  return undefined;
}

/** tfjs-node(-gpu) register the native 'tensorflow' backend when imported. */
async function loadNativeTensorflow(packageName: string, device: string): Promise<string> {
  // A plain require of a computed specifier: these optional packages are usually absent, so
  // neither the type checker nor the bundler may resolve them ahead of time; unlike import(),
  // require also looks in NODE_PATH, where a user may have installed them.
  const specifier: string = packageName;
  require(specifier);
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new Error(`${packageName} loaded but registered no backend with this copy of @tensorflow/tfjs-core`);
  }
  await setBackendOrThrow('tensorflow');
  return `tensorflow (${device}, ${packageName})`;
}

/** wasm's paths can be set only before it first starts; later loads just switch to it. */
let wasmStarted = false;

async function loadWasm(): Promise<string> {
  if (!wasmStarted) {
    // The threaded build does not start in Node as shipped: single thread.
    setWasmPaths(wasmBinariesDir() + path.sep);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerWasmTrainingKernels();
  }
  await withoutNewProcessListeners(() => setBackendOrThrow('wasm'));
  wasmStarted = true;
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD';
  return `wasm (${simd}, esnac training kernels)`;
}

/**
 * The extension package copies the .wasm binaries next to its bundles and has no node_modules;
 * elsewhere they are next to the package's entry point (tfjs would look next to our bundle).
 */
function wasmBinariesDir(): string {
  if (existsSync(path.join(__dirname, 'tfjs-backend-wasm.wasm'))) return __dirname;
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

/**
 * Emscripten's Node glue adds uncaughtException / unhandledRejection listeners that rethrow,
 * which Node then reports by printing a whole line of the minified glue. Node's own default does
 * the same thing without that noise, so the listeners added while `start` runs are removed.
 */
async function withoutNewProcessListeners(start: () => Promise<void>): Promise<void> {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((event) => new Set(emitter.listeners(event)));
  try {
    await start();
  } finally {
    events.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) {
        if (!before[i].has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    });
  }
}

async function loadCpu(): Promise<string> {
  await setBackendOrThrow('cpu');
  return 'cpu (plain JavaScript)';
}

async function setBackendOrThrow(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the '${name}' backend`);
}

/** One line a log reader can act on (module loaders put the require stack on later lines). */
function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    return `not installed (${firstLine(err)})`;
  }
  return firstLine(err);
}

function firstLine(err: unknown): string {
  return errorMessage(err).split('\n')[0];
}
