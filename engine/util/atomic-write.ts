// Files and folders written whole or not at all: the data goes to a temporary name beside the
// target, is flushed to disk (fsync), and only then takes the target's name, so a crash or a full
// disk at any moment leaves either the old state or the new one, never a truncated file.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './pid';

/** Temporary names: hidden, recognisable, unique per process and call. */
const TEMPORARY = /^\..+\.tmp-\d+-[0-9a-f]{8}$/;

function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAndSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface AtomicOptions {
  /** Fail with EEXIST (as flag 'wx' does) instead of replacing a file that exists. */
  exclusive?: boolean;
}

/** Writes `path` whole or not at all. */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicOptions = {}): void {
  removeStaleTemporaries(path);
  const temporary = temporaryBeside(path);
  try {
    writeAndSync(temporary, data);
    // link() refuses an existing target where rename() would replace it.
    if (options.exclusive) linkSync(temporary, path);
    else renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
  fsyncPath(dirname(path));
}

/**
 * Makes the folder `dir` whole or not at all: `fill` writes its content into an empty temporary
 * folder beside it, which is synced and renamed to `dir`. An existing `dir` is replaced only
 * with `replace`; otherwise the rename fails (ENOTEMPTY / EEXIST) unless `dir` is empty.
 */
export function writeFolderAtomic(dir: string, fill: (temporary: string) => void, replace = false): void {
  makeFolder(dirname(dir));
  removeStaleTemporaries(dir);
  const temporary = temporaryBeside(dir);
  mkdirSync(temporary);
  try {
    fill(temporary);
    syncTree(temporary);
    if (replace) rmSync(dir, { recursive: true, force: true });
    renameSync(temporary, dir);
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  fsyncPath(dirname(dir));
}

/**
 * mkdir -p that fails with the real reason: Node's recursive mkdir says ENOENT where a folder
 * cannot be made (a read-only file system, no permission), so each missing level is made alone.
 */
export function makeFolder(path: string): void {
  if (existsSync(path)) return;
  makeFolder(dirname(path));
  try {
    mkdirSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

function syncTree(path: string): void {
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) syncTree(join(path, entry));
  fsyncPath(path);
}

/**
 * Removes the temporaries of `path` that a process now gone left beside it (a crash while it
 * wrote `path`); the names removed. Those of a live process are its write in progress.
 */
export function removeStaleTemporaries(path: string): string[] {
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const stale = names.filter((name) => name.startsWith(prefix) && TEMPORARY.test(name) && !pidAlive(Number(name.slice(prefix.length).split('-')[0])));
  for (const name of stale) rmSync(join(dirname(path), name), { recursive: true, force: true });
  return stale;
}

/** Removes what writes interrupted by a crash left in `dir` (not below it); the names removed. */
export function removeTemporaries(dir: string): string[] {
  const left = readdirSync(dir).filter((name) => TEMPORARY.test(name));
  for (const name of left) rmSync(join(dir, name), { recursive: true, force: true });
  return left;
}

