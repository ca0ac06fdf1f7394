// Programs the interop tests run: Debian's Python with torch, torchvision and onnx
// (python3-torch, python3-torchvision, python3-onnx), which they compare against (absent, they
// are skipped), and the esnac CLI from source (tsx), so that they need no build.
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
const HELPERS = join(import.meta.dirname, 'python');
const ROOT = join(import.meta.dirname, '..', '..');

function probe(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  if (r.status !== 0) return `${PYTHON} lacks torch, torchvision or onnx (apt-get install python3-torch python3-torchvision python3-onnx)`;
  return undefined;
}

/** Why the interop tests cannot run here, or undefined when they can. */
export const skipReason = probe();

/** Runs python/SCRIPT with ARGS; throws with its output when it fails. */
export function runHelper(script: string, args: string[]): string {
  const r = spawnSync(PYTHON, [join(HELPERS, script), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `esnac ARGS` from source; the caller checks the exit status. */
export function esnac(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'engine', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
}
