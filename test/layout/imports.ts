// The layers of the code, read from the imports of every .ts file of engine/, extension/,
// webview/ and protocol/. Each folder says what it may import; an import that runs back up is a
// violation. The imports are read with TypeScript's own pre-processor (static, type-only,
// re-exports and dynamic `import()` alike).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CHECKED_FOLDERS = ['protocol', 'engine', 'extension', 'webview'];

/**
 * The engine's folders, each with the engine folders it may import (protocol/ is open to all of
 * them, and a folder always to itself). Lower layers first; the list itself must stay acyclic. A
 * new folder goes here with what it needs, and may then not be imported by anything it imports.
 */
export const ENGINE_LAYERS: Record<string, string[]> = {
  util: [],
  architecture: ['util'],
  backend: ['util'],
  data: ['util'],
  cost: ['architecture', 'util'],
  run: ['cost', 'util'],
  model: ['architecture', 'util'],
  space: ['architecture', 'util'],
  zoo: ['architecture', 'data', 'util'],
  interop: ['architecture', 'model', 'util'],
  train: ['architecture', 'data', 'model', 'util'],
  bo: ['architecture', 'backend', 'cost', 'run', 'space', 'util'],
  evaluation: ['architecture', 'backend', 'data', 'interop', 'model', 'run', 'train', 'util'],
  latency: ['architecture', 'backend', 'cost', 'evaluation', 'interop', 'model', 'run', 'space', 'util'],
  search: ['architecture', 'backend', 'bo', 'cost', 'data', 'evaluation', 'latency', 'model', 'run', 'space', 'train', 'util'],
  // The front ends: processes and a command line over the library, which never imports them.
  server: ['architecture', 'backend', 'run', 'search', 'util'],
  cli: ['architecture', 'backend', 'data', 'evaluation', 'interop', 'model', 'run', 'search', 'server', 'space', 'train', 'util', 'zoo'],
};

/**
 * Engine folders that the rest of the code reaches only through their index.ts, a narrow
 * interface: their subfolders and other files are their own business.
 */
export const NARROW_INTERFACES = ['bo'];

/** engine/ less its front ends: what the extension and the webview may use, and engine/index.ts exports. */
export const LIBRARY = Object.keys(ENGINE_LAYERS).filter((f) => f !== 'server' && f !== 'cli');

const NODE_MODULES = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isVscode = (specifier: string) => specifier === 'vscode' || specifier.startsWith('vscode-languageclient');

export interface Import {
  from: string;
  /** A file of the repository (relative to the root), or a package for a bare specifier. */
  to: string;
  bare: boolean;
}

/** The folder a file belongs to for these rules: protocol, engine/<concept>, engine (its front door), extension, webview. */
export function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'engine') return parts.length > 2 ? `engine/${parts[1]}` : 'engine';
  return parts[0];
}

export function tsFiles(folders = CHECKED_FOLDERS): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
    }
  };
  folders.forEach(walk);
  return files;
}

/** The imports of one file; `exists` decides how a relative specifier resolves (a test passes its own). */
export function importsOf(file: string, source: string, exists: (path: string) => boolean): Import[] {
  return ts.preProcessFile(source, true, true).importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return { from: file, to: fileName, bare: true };
    const base = join(dirname(file), fileName);
    const to = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')].find(exists);
    if (to === undefined || to.startsWith('..')) throw new Error(`${file}: cannot resolve the import '${fileName}'`);
    return { from: file, to, bare: false };
  });
}

export function repositoryImports(): Import[] {
  const exists = (path: string) => existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile();
  return tsFiles().flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), 'utf8'), exists));
}

/** Why an import runs the wrong way, or undefined when it is allowed. */
export function violation({ from, to, bare }: Import): string | undefined {
  const source = unitOf(from);
  if (source === 'protocol') {
    return bare || unitOf(to) !== 'protocol' ? 'protocol/ imports nothing but itself (no vscode, DOM, Node or other code of ours)' : undefined;
  }
  if (bare) {
    if (source.startsWith('engine') && isVscode(to)) return 'the engine runs without VS Code';
    if (source === 'webview' && (NODE_MODULES.has(to) || isVscode(to))) return 'webview/ runs in a browser: no Node modules, no vscode';
    return undefined;
  }
  if (!to.endsWith('.ts')) return undefined;
  const target = unitOf(to);
  if (target === source || target === 'protocol') return undefined;
  const concept = target.startsWith('engine/') ? target.slice('engine/'.length) : undefined;
  if (concept !== undefined && NARROW_INTERFACES.includes(concept) && to !== `${target}/index.ts`) return `${target} is used only through ${target}/index.ts`;
  if (source === 'engine') return concept !== undefined && LIBRARY.includes(concept) ? undefined : 'engine/index.ts exports the library only';
  if (source.startsWith('engine/')) {
    const allowed = ENGINE_LAYERS[source.slice('engine/'.length)];
    if (allowed === undefined) return `${source} is not in ENGINE_LAYERS (test/layout/imports.ts): add it with the folders it may import`;
    if (concept === undefined) return `the engine imports neither extension/ nor webview/ (nor its own front door)`;
    return allowed.includes(concept) ? undefined : `${source} may import only ${allowed.map((f) => `engine/${f}`).join(', ') || 'itself'} and protocol/`;
  }
  // extension/ and webview/: the library (engine/index.ts included) and protocol/; never each other, never the engine's processes.
  if (target === 'engine' || (concept !== undefined && LIBRARY.includes(concept))) return undefined;
  return `${source}/ may import only protocol/ and the engine's library (not engine/cli, engine/server, ${source === 'webview' ? 'extension/' : 'webview/'})`;
}

/** Every Node or vscode module the webview bundle reaches, through any chain of our own files. */
export function webviewReach(imports: Import[]): { chain: string[]; module: string }[] {
  const byFile = new Map<string, Import[]>();
  for (const i of imports) byFile.set(i.from, [...(byFile.get(i.from) ?? []), i]);
  const found: { chain: string[]; module: string }[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of byFile.get(file) ?? []) {
      if (i.bare && (NODE_MODULES.has(i.to) || isVscode(i.to))) found.push({ chain: [...chain, file], module: i.to });
      else if (!i.bare) visit(i.to, [...chain, file]);
    }
  };
  for (const file of byFile.keys()) if (unitOf(file) === 'webview') visit(file, []);
  return found;
}

/** A cycle in ENGINE_LAYERS, as the folders along it, or undefined. */
export function layerCycle(layers: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string, path: string[]): string[] | undefined => {
    if (state.get(folder) === 'done') return undefined;
    if (state.get(folder) === 'open') return [...path.slice(path.indexOf(folder)), folder];
    state.set(folder, 'open');
    for (const next of layers[folder] ?? []) {
      const cycle = visit(next, [...path, folder]);
      if (cycle) return cycle;
    }
    state.set(folder, 'done');
    return undefined;
  };
  for (const folder of Object.keys(layers)) {
    const cycle = visit(folder, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Type errors of protocol/ compiled alone with the ES library only: a DOM or Node global used there is one. */
export function protocolAloneDiagnostics(): string[] {
  const program = ts.createProgram(
    tsFiles(['protocol']).map((f) => join(ROOT, f)),
    { lib: ['lib.es2022.d.ts'], types: [], strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
  );
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
