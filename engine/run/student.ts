// Which teacher a spec file is a student of: the one its candidate.teacherPath names (relative to
// the file), else, for a file in a run directory (best.arch.yaml, candidates/*), the teacher that
// run.json names. A run's own copy of its teacher and a spec outside any run are no students, and
// the answer says why in words an editor can show.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

export type StudentOf = { teacher: string } | { notAStudent: string };

/** The student's teacher file (absolute), or why `file` (with its text) has none. */
export function teacherOfSpec(file: string, text: string): StudentOf {
  const path = resolve(file);
  const run = enclosingRun(path);
  if (run && resolve(run.dir, run.teacherSpec) === path) {
    return { notAStudent: `${basename(path)} is the teacher of the run ${basename(run.dir)}: diff a student of it (best.arch.yaml or a file in candidates/) with it instead` };
  }
  const teacherPath = candidateTeacherPath(text);
  if (teacherPath) return { teacher: resolve(dirname(path), teacherPath) };
  if (run) return { teacher: resolve(run.dir, run.teacherSpec) };
  return { notAStudent: `${basename(path)} is not a student: it names no teacher (candidate.teacherPath) and is not in a run directory` };
}

/** The run directory holding the file (its folder or the one above, for candidates/), with its teacher's file name. */
function enclosingRun(path: string): { dir: string; teacherSpec: string } | undefined {
  for (const dir of [dirname(path), dirname(dirname(path))]) {
    const manifest = join(dir, 'run.json');
    if (!existsSync(manifest)) continue;
    try {
      const spec = (JSON.parse(readFileSync(manifest, 'utf8')) as { teacher?: { spec?: unknown } }).teacher?.spec;
      if (typeof spec === 'string') return { dir, teacherSpec: spec };
    } catch {
      // An unreadable run.json makes no run: the file may still name its teacher.
    }
  }
  return undefined;
}

/** candidate.teacherPath, read leniently (JSON is YAML; a broken file names none). */
function candidateTeacherPath(text: string): string | undefined {
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    return undefined;
  }
  const candidate = (value as { candidate?: { teacherPath?: unknown } } | null)?.candidate;
  const path = typeof candidate === 'object' && candidate !== null ? candidate.teacherPath : undefined;
  return typeof path === 'string' && path !== '' ? path : undefined;
}
