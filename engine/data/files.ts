// Reading dataset files with errors a user can act on: every failure names the file and the problem.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { errorMessage, UserError } from '../util/errors';

const gunzipAsync = promisify(gunzip);

export function fileError(file: string, problem: string): UserError {
  return new UserError(`${file}: ${problem}`);
}

function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'missing';
  if (code === 'EACCES') return 'not readable (permission denied)';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  return `cannot be read (${errorMessage(err)})`;
}

function isGzip(file: string, bytes: Uint8Array): boolean {
  return file.endsWith('.gz') || (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);
}

/** Throws naming the file and index of the first label outside 0..classes-1. */
export function checkLabels(labels: Int32Array, classes: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= classes) {
      throw fileError(file, `label ${labels[i]} of example ${i} is out of range 0..${classes - 1}`);
    }
  }
}

/** The file's bytes, gunzipped when it is gzip data (by name or by its first two bytes). */
export async function readDatasetFile(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw fileError(file, readProblem(err));
  }
  if (!isGzip(file, bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (err) {
    throw fileError(file, `gzip data is broken (${errorMessage(err)})`);
  }
}

/** The dataset directory; throws when it does not exist or is not a directory. */
export function checkDatasetDir(dir: string): string {
  if (!existsSync(dir)) throw new UserError(`${dir}: dataset directory not found`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: expected a dataset directory, found a file`);
  return dir;
}

/**
 * `dir/subdir` when `dir` lacks `probe` but `dir/subdir` has it: the folder a dataset's archive
 * unpacks to (e.g. cifar-10-batches-bin) works as well as the folder holding it.
 */
export function descendIfNeeded(dir: string, subdir: string, probe: string): string {
  const nested = join(dir, subdir);
  return !existsSync(join(dir, probe)) && existsSync(join(nested, probe)) ? nested : dir;
}

/** `dir/base.gz` if present, else `dir/base`; throws naming both when neither exists. */
export function gzOrPlain(dir: string, base: string): string {
  const gz = join(dir, `${base}.gz`);
  if (existsSync(gz)) return gz;
  const plain = join(dir, base);
  if (existsSync(plain)) return plain;
  throw fileError(`${plain}[.gz]`, 'missing');
}
