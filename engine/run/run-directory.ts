// A run directory is the record of a search: run.json (what was asked), journal.jsonl (what
// happened), candidates/, kernels/, and at the end best.arch.yaml and report.md. Files are
// created exclusively (nothing that exists is ever overwritten) and whole (engine/util/atomic-write).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Normalisation } from '../../protocol';
import { errorMessage, UserError } from '../util/errors';
import { fileStem } from '../util/file-name';
import { makeFolder, removeStaleTemporaries, writeFileAtomic, writeFolderAtomic } from '../util/atomic-write';
import { Journal } from './journal';
import { DEFAULT_SETTINGS, SearchSettings } from './settings';

export const RUN_FORMAT = 'esnac.run/v1';
/** The teacher spec as the run saw it, at the top of the run directory. */
export const TEACHER_SPEC = 'teacher.arch.yaml';

/** The fields of run.json that everything reading a run relies on, with their types. */
const REQUIRED: Array<[path: string, type: 'string' | 'number' | 'object']> = [
  ['createdAt', 'string'],
  ['teacher.name', 'string'],
  ['teacher.spec', 'string'],
  ['dataset', 'string'],
  ['settings', 'object'],
  ['settings.steps', 'number'],
  ['settings.kernels', 'number'],
  ['settings.seed', 'number'],
  ['settings.operators', 'object'],
  ['versions', 'object'],
];

export interface RunManifest {
  format: typeof RUN_FORMAT;
  createdAt: string;
  teacher: {
    name: string;
    /** The teacher spec as the run saw it, copied into the run directory. */
    spec: string;
    /** Where it came from. */
    source: string;
    /** Weights given by the user (absolute path), if any. */
    weights?: string;
  };
  dataset: string;
  /**
   * The input every network of the run gets, decided when the run was created (runs from before
   * it was recorded use the settings' rules).
   */
  preprocessing?: Preprocessing;
  settings: SearchSettings;
  backend: string;
  versions: Record<string, string>;
  /** Kernel transfer (--kernels-from): the kernels this run proposes with, copied into it. */
  kernelsFrom?: KernelTransfer;
}

/** What run.json records of a kernel transfer: where they came from, the copies, and each one's hash. */
export interface KernelTransfer {
  /** The source run (absolute). */
  run: string;
  /** File names in the source's kernels/ and in the run's transferred-kernels/, in the order the kernels are used. */
  files: string[];
  sha256: string[];
}

export interface Preprocessing {
  normalisation: Normalisation;
  augment: 'none' | 'crop-flip';
}

export class RunDirectory {
  readonly journal: Journal;

  private constructor(
    readonly dir: string,
    readonly manifest: RunManifest,
  ) {
    this.journal = new Journal(join(dir, 'journal.jsonl'));
  }

  /**
   * Creates a new run directory; refuses one that exists and is not empty. `files` (relative
   * path -> text) are more files it starts with.
   */
  static create(dir: string, manifest: RunManifest, teacherText: string, files: Record<string, string> = {}): RunDirectory {
    const abs = resolve(dir);
    if (existsSync(abs) && readdirSync(abs).length > 0) {
      throw new UserError(`${abs} already exists and is not empty: choose another run directory, or resume it with --resume`);
    }
    // Made whole or not at all: a crash here leaves no folder that is neither empty nor a run.
    writeFolderAtomic(abs, (temporary) => {
      mkdirSync(join(temporary, 'candidates'));
      mkdirSync(join(temporary, 'kernels'));
      writeNew(join(temporary, manifest.teacher.spec), teacherText);
      for (const [relative, text] of Object.entries(files)) {
        makeFolder(dirname(join(temporary, relative)));
        writeNew(join(temporary, relative), text);
      }
      writeNew(join(temporary, 'run.json'), JSON.stringify(manifest, null, 2) + '\n');
    });
    return new RunDirectory(abs, manifest);
  }

  /** Opens an existing run to resume it or to read its state. */
  static open(dir: string): RunDirectory {
    const abs = resolve(dir);
    const manifestPath = join(abs, 'run.json');
    if (!existsSync(manifestPath)) {
      const partial = existsSync(abs) ? [] : removeStaleTemporaries(abs);
      if (partial.length > 0) throw new UserError(`${abs} was never created: a crash interrupted its creation (its partial copy ${partial.join(', ')} is removed now); start the run again`);
      throw new UserError(`${abs} is not an esnac run directory (no run.json)`);
    }
    let manifest: RunManifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as RunManifest;
    } catch (err) {
      throw new UserError(`${manifestPath}: not valid JSON (${errorMessage(err)})`);
    }
    if (manifest?.format !== RUN_FORMAT) throw new UserError(`${manifestPath}: unknown run format '${String(manifest?.format)}' (expected ${RUN_FORMAT})`);
    const missing = REQUIRED.filter(([path, type]) => typeof path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], manifest) !== type);
    if (missing.length > 0) throw new UserError(`${manifestPath}: ${missing.map(([path, type]) => `"${path}" (${type})`).join(', ')} missing or of another type; was the file edited?`);
    // Settings added since the run was made take their defaults (a run from before objectives counts params).
    const settings = { ...DEFAULT_SETTINGS, ...manifest.settings };
    return new RunDirectory(abs, { ...manifest, settings: { ...settings, latency: { ...DEFAULT_SETTINGS.latency, ...settings.latency } } });
  }

  /** The same run with other settings, recorded in run.json (replaced whole): for what a resume may change. */
  withSettings(settings: SearchSettings): RunDirectory {
    const manifest = { ...this.manifest, settings };
    writeFileAtomic(this.path('run.json'), JSON.stringify(manifest, null, 2) + '\n');
    return new RunDirectory(this.dir, manifest);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Writes a file of the run that must not exist yet. */
  writeNew(relative: string, text: string): void {
    writeNew(this.path(relative), text);
  }
}

export function writeNew(path: string, text: string): void {
  try {
    writeFileAtomic(path, text, { exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${path} already exists; esnac never overwrites a file`);
    throw err;
  }
}

/** esnac-runs/<teacher>-<yyyymmdd-hhmmss> under the given folder. */
export function defaultRunDirectory(root: string, teacherName: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join(root, 'esnac-runs', `${fileStem(teacherName)}-${stamp}`);
}
