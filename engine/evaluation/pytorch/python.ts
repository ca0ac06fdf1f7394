// Finding a Python that can run the PyTorch trainer (trainers/torch): the interpreter the user
// named (--python, ESNAC_PYTHON, the esnac.python setting), else every python3 and python on PATH
// in order and then the system's, the first whose torch is >= 1.13. Each is asked once, by
// importing torch, which takes a second or two.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export const MIN_TORCH: [number, number] = [1, 13];

/** What an interpreter reported about its torch. */
export interface TorchInfo {
  python: string;
  torch: string;
  cuda: boolean;
  /** CUDA devices torch sees (0 without CUDA). */
  gpus: number;
  cpus: number;
}

export type PythonProbe = { ok: true; info: TorchInfo } | { ok: false; reason: string };

/** Where the user may name an interpreter, most specific first. */
export interface PythonChoice {
  /** --python PATH or the esnac.python setting (the VS Code extension passes the Python extension's choice here when the setting is empty). */
  explicit?: string;
  env?: NodeJS.ProcessEnv;
}

const PROBE = [
  'import json, os, sys',
  'import torch',
  'print(json.dumps({"torch": torch.__version__.split("+")[0], "cuda": torch.cuda.is_available(), "gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0, "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}))',
].join('\n');

/** Asks one interpreter for its torch; never rejects. */
export function probePython(python: string, timeoutMs = 60_000): Promise<PythonProbe> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE], { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ ok: false, reason: `${python} was not found` });
      if (err) {
        const noTorch = /No module named '?torch'?/.test(stderr);
        return resolve({ ok: false, reason: noTorch ? `${python} has no torch (pip install torch, or apt-get install python3-torch)` : `${python} could not import torch: ${lastLine(stderr) || err.message}` });
      }
      try {
        const info = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<TorchInfo, 'python'>;
        if (!torchIsRecent(info.torch)) return resolve({ ok: false, reason: `${python} has torch ${info.torch}; the trainer needs ${MIN_TORCH.join('.')} or newer` });
        resolve({ ok: true, info: { python, ...info } });
      } catch {
        resolve({ ok: false, reason: `${python} printed no torch version: ${lastLine(stdout)}` });
      }
    });
  });
}

/** "1.13.0a0" (Debian's), "2.3.1+cu121"... compared by major and minor. */
export function torchIsRecent(version: string): boolean {
  const [major, minor] = version.split('.').map((p) => parseInt(p, 10));
  if (!Number.isFinite(major) || !Number.isFinite(minor)) return false;
  return major > MIN_TORCH[0] || (major === MIN_TORCH[0] && minor >= MIN_TORCH[1]);
}

/** The interpreters to try, in order, without duplicates. */
export function pythonCandidates(choice: PythonChoice): string[] {
  const env = choice.env ?? process.env;
  const named = choice.explicit || env.ESNAC_PYTHON;
  if (named) return [named];
  const names = process.platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3', 'python'];
  const found: string[] = [];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const path = join(dir, name);
      if (isExecutable(path)) found.push(path);
    }
  }
  if (process.platform !== 'win32') found.push('/usr/bin/python3', '/usr/local/bin/python3');
  return [...new Set(found)].filter((p) => existsSync(p));
}

/** The first interpreter with a recent torch, or every reason none was usable. */
export async function findPython(choice: PythonChoice): Promise<{ ok: true; info: TorchInfo } | { ok: false; reason: string }> {
  const candidates = pythonCandidates(choice);
  if (candidates.length === 0) return { ok: false, reason: 'no python3 or python was found on PATH (or pass --python PATH, set ESNAC_PYTHON or esnac.python)' };
  const reasons: string[] = [];
  for (const python of candidates) {
    const probe = await probePython(python);
    if (probe.ok) return probe;
    reasons.push(probe.reason);
  }
  return { ok: false, reason: reasons.join('; ') };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/** trainers/torch (the folder holding the esnac_trainer package), from source or from dist/. */
export function trainerRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'trainers', 'torch');
    if (existsSync(join(candidate, 'esnac_trainer', '__init__.py'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`trainers/torch was not found above ${__dirname}`);
  }
}
