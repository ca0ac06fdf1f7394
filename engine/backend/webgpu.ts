// TensorFlow.js's WebGPU backend in Node, on Dawn from the optional `webgpu` package. Both
// packages are optional dependencies, loaded at run time like tfjs-node. tfjs-backend-webgpu was
// written for browsers: it registers itself only when `navigator.gpu` exists and uses the WebGPU
// interface objects (GPUBuffer, GPUBufferUsage, ...) as globals, so those are provided here.
// A software adapter (Mesa's llvmpipe, SwiftShader, WARP) is correct but slower than wasm
// (docs/compute.md): it is used only when asked for.
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

/** Which adapters `loadWebGpu` accepts. */
export type AdapterRequirement = 'hardware' | 'any';

/** The adapter tfjs-backend-webgpu will get: it asks for the high-performance one. */
const ADAPTER_OPTIONS = { powerPreference: 'high-performance' } as const;

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|basic render|\bwarp\b/i;

/** The parts of the `webgpu` package (and of WebGPU) used here. */
interface Dawn {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapter | null>;
}

interface GpuAdapter {
  info?: Partial<AdapterInfo>;
  /** Where the info has no isFallbackAdapter yet (older WebGPU). */
  isFallbackAdapter?: boolean;
}

interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface WebGpuAdapter {
  /** For logs, e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' or 'nvidia hopper'. */
  description: string;
  /** A CPU implementation of WebGPU, not a GPU. */
  software: boolean;
}

interface Probe {
  dawn: Dawn;
  gpu: Gpu;
  adapter: WebGpuAdapter;
}

/** One Dawn instance per thread, kept for the life of the backend (Dawn stops when it is dropped). */
let probing: Promise<Probe> | undefined;

/** True when the adapter's own words say it runs on the CPU. */
export function isSoftwareAdapter(info: Partial<AdapterInfo>, isFallbackAdapter = false): boolean {
  if (info.isFallbackAdapter === true || isFallbackAdapter) return true;
  const words = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return SOFTWARE_ADAPTER.test(words);
}

/** The adapter Dawn offers here, or why there is none (a rejected promise, tried again next call). */
export function probeWebGpu(): Promise<WebGpuAdapter> {
  return probe().then((p) => p.adapter);
}

function probe(): Promise<Probe> {
  if (probing === undefined) {
    probing = createProbe();
    probing.catch(() => {
      probing = undefined;
    });
  }
  return probing;
}

async function createProbe(): Promise<Probe> {
  const dawn = await importDawn();
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
  if (adapter === null) throw new Error(NO_ADAPTER);
  return { dawn, gpu, adapter: describeAdapter(adapter) };
}

/**
 * The package is an ES module: resolved with require (which also looks in NODE_PATH, like the
 * tfjs-node packages) and imported by file URL, which neither tsc nor esbuild resolve ahead of time.
 */
async function importDawn(): Promise<Dawn> {
  return (await import(dawnUrl())) as Dawn;
}

function dawnUrl(): string {
  const specifier: string = 'webgpu';
  return pathToFileURL(require.resolve(specifier)).href;
}

function softwareRefusal(adapter: WebGpuAdapter): string {
  return `software adapter (${adapter.description}): slower than wasm, used only when webgpu is asked for by name`;
}

function describeAdapter(adapter: GpuAdapter): WebGpuAdapter {
  const info = adapter.info ?? {};
  const named = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ');
  return { description: named || 'unnamed adapter', software: isSoftwareAdapter(info, adapter.isFallbackAdapter) };
}

/**
 * Asks for the adapter in a child process and prints what it gets as JSON (null: none). Dawn's
 * warnings about the driver go to that process's stderr, which the parent drops.
 */
const CHILD_PROBE = `
const [url, options] = process.argv.slice(1);
const { create } = await import(url);
const adapter = await create([]).requestAdapter(JSON.parse(options));
const info = adapter && adapter.info ? adapter.info : {};
const fields = ['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter'];
process.stdout.write(JSON.stringify(adapter && { info: Object.fromEntries(fields.map((f) => [f, info[f]])), isFallbackAdapter: adapter.isFallbackAdapter }));
process.exit(0);
`;

/** A child process that cannot answer in this long has no usable adapter. */
const CHILD_PROBE_TIMEOUT_MS = 30_000;

/**
 * The adapter Dawn offers, seen from a child process: on a machine with only a software driver
 * Dawn writes warnings straight to stderr (Mesa's lavapipe: "maxDynamicUniformBuffersPerPipeline
 * Layout artificially reduced ..."), where no JavaScript can catch them, and a run that will not
 * use WebGPU must not print them. 0.2-0.5 s, once per process that picks a backend.
 */
async function probeInChild(): Promise<WebGpuAdapter> {
  const url = dawnUrl();
  // ELECTRON_RUN_AS_NODE: in VS Code the engine runs on Electron's Node, which is Node only with it.
  const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD_PROBE, url, JSON.stringify(ADAPTER_OPTIONS)], { env, timeout: CHILD_PROBE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the WebGPU probe failed: ${stderr.trim().split('\n').at(-1) || err.message}`));
      const seen = JSON.parse(stdout) as GpuAdapter | null;
      if (seen === null) return reject(new Error(NO_ADAPTER));
      resolve(describeAdapter(seen));
    });
  });
}

const NO_ADAPTER = 'no WebGPU adapter: Dawn found no GPU driver (Vulkan, Metal or D3D12)';

/**
 * Makes tfjs's 'webgpu' backend current on Dawn's adapter and returns its detail text. With
 * 'hardware', a software adapter is refused with a reason that says how to use it anyway; Dawn
 * is then never loaded in this process.
 */
export async function loadWebGpu(requirement: AdapterRequirement): Promise<string> {
  if (requirement === 'hardware') {
    const seen = await probeInChild();
    if (seen.software) throw new Error(softwareRefusal(seen));
  }
  const { dawn, gpu, adapter } = await probe();
  if (adapter.software && requirement === 'hardware') throw new Error(softwareRefusal(adapter));
  defineMissingGlobals(dawn.globals);
  await withNavigatorGpu(gpu, async () => {
    // A computed specifier, as for tfjs-node: optional, so resolved only at run time.
    const specifier: string = '@tensorflow/tfjs-backend-webgpu';
    require(specifier);
    if (tf.findBackendFactory('webgpu') === null) {
      throw new Error('@tensorflow/tfjs-backend-webgpu loaded but registered no backend with this copy of @tensorflow/tfjs-core');
    }
    if (!(await tf.setBackend('webgpu'))) throw new Error(`tfjs could not start the 'webgpu' backend on ${adapter.description}`);
  });
  return `webgpu (${adapter.software ? 'software adapter' : 'GPU'}: ${adapter.description}; Dawn)`;
}

/** WebGPU's interface objects and constants, which the backend reads as globals on every op. */
function defineMissingGlobals(globals: Record<string, unknown>): void {
  const scope = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in scope)) Object.defineProperty(scope, name, { value, configurable: true, writable: true });
  }
}

/**
 * `navigator.gpu` is read only while the backend registers and starts, so it exists only then:
 * other code keeps seeing Node's navigator (or none, in Node 20) and does not take us for a browser.
 */
async function withNavigatorGpu(gpu: Gpu, start: () => Promise<void>): Promise<void> {
  const scope = globalThis as { navigator?: object };
  const ownNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const navigator = scope.navigator ?? {};
  const previousGpu = Object.getOwnPropertyDescriptor(navigator, 'gpu');
  Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  if (ownNavigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });
  try {
    await start();
  } finally {
    if (previousGpu === undefined) delete (navigator as { gpu?: unknown }).gpu;
    else Object.defineProperty(navigator, 'gpu', previousGpu);
    if (ownNavigator === undefined) delete scope.navigator;
  }
}
