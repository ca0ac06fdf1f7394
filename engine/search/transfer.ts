// Kernel transfer (paper section 4.3): a run saves the kernels it fits; another search (other
// teacher or dataset) can propose with their embeddings instead of fitting kernels of its own.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { BiLstmJSON, checkedKernelJSON } from '../bo';
import type { KernelTransfer } from '../run/run-directory';
import { errorMessage, UserError } from '../util/errors';

export interface SavedKernel {
  file: string;
  /** The file's text, as the run that transfers it keeps a copy of it. */
  text: string;
  /** Its embedding, checked whole. */
  embedding: BiLstmJSON;
}

/**
 * Where a run that proposes with another run's kernels keeps them: copied in when it is created
 * and recorded in run.json, so its resume proposes with the same kernels even if the other run
 * has changed or is gone since.
 */
export const TRANSFERRED_KERNELS = 'transferred-kernels';

/** The kernels saved at the last step of another run, read and checked whole before a search starts anything. */
export function readTransferredKernels(runDir: string): SavedKernel[] {
  const dir = kernelsOf(runDir);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) throw new UserError(`${dir}: no saved kernels to transfer (was that run a BO search with at least two steps?)`);
  const step = (f: string) => Number(/^step-(\d+)-/.exec(f)?.[1] ?? 0);
  const last = Math.max(...files.map(step));
  return readKernels(
    dir,
    files.filter((f) => step(f) === last).sort(),
    'pass --kernels-from a run whose kernel files are whole',
  );
}

/** The record of a transfer of `saved` from `runDir`, for run.json. */
export function kernelTransfer(runDir: string, saved: SavedKernel[]): KernelTransfer {
  return { run: resolve(runDir), files: saved.map((k) => basename(k.file)), sha256: saved.map((k) => sha256(k.text)) };
}

/**
 * The kernels a run recorded (its copies), and a warning when the source run no longer has the
 * same ones: the run goes on with its copies, the user learns that the source changed.
 */
export function recordedKernels(runCopies: string, transfer: KernelTransfer): { saved: SavedKernel[]; warning?: string } {
  const saved = readKernels(runCopies, transfer.files, 'the run copied it when it began; restore the run folder');
  saved.forEach((k, i) => {
    if (sha256(k.text) !== transfer.sha256[i]) throw new UserError(`${k.file}: changed since the run copied it (its hash is not the one run.json records); restore the run folder`);
  });
  const source = kernelsOf(transfer.run);
  const differs = transfer.files.filter((f, i) => !existsSync(join(source, f)) || sha256(readFileSync(join(source, f), 'utf8')) !== transfer.sha256[i]);
  if (differs.length === 0) return { saved };
  const what = existsSync(source) ? `have changed since this run began (${differs.join(', ')})` : 'are gone';
  return { saved, warning: `the kernels transferred from ${source} ${what}: this run goes on with the copies it took (${runCopies})` };
}

function kernelsOf(runDir: string): string {
  return join(resolve(runDir), 'kernels');
}

function readKernels(dir: string, files: string[], remedy: string): SavedKernel[] {
  return files.map((f) => {
    const file = join(dir, f);
    let text: string;
    let json: unknown;
    try {
      text = readFileSync(file, 'utf8');
      json = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${file}: not a saved kernel (${errorMessage(err)}); ${remedy}`);
    }
    return { file, text, embedding: checkedKernelJSON(json, file).embedding };
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
